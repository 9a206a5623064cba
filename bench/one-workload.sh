#!/usr/bin/env bash
# One workload, one runner, no checks: a quick A/B of a change (the figures bench/run.sh reports
# are the ones to quote). Lands <files> generated files of <lines> lines at once into a running
# pipeline and prints the seconds from the landing to the last commit, the CPU seconds the pipeline
# JVM and the PostgreSQL server spent meanwhile (for the capacity model in the README), the
# transactions per reader and the commits per second. JFR=1 records bench/work/one/p.jfr;
# JAVA_OPTS are passed on to the pipeline JVM, GENERATOR_OPTS to the generator (--spreadDays 90: a
# backfill).
#   bench/one-workload.sh runners/spark-local.sh|runners/direct.sh <files> <lines per file>
set -e
script=$1; files=$2; per=$3
db="${BENCH_PSQL:-postgresql://postgres@127.0.0.1:5432/postgres}"; db="${db%/*}/shopstream_one"
w="$PWD/bench/work/one"; rm -rf "$w"; mkdir -p "$w/raw" "$w/error" "$w/stage"
gen_cp="generator/target/classes:$(mvn -q -o -pl generator dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
java -cp "$gen_cp" io.shopstream.generator.Generator --rate 0 --count $((files * per)) \
  --eventsPerFile "$per" --seed 7 --invalidRate 0.01 --duplicateRate 0.01 --outputDir "$w/stage" ${GENERATOR_OPTS:-} | tail -2
psql -q "${db%/*}/postgres" -c "DROP DATABASE IF EXISTS shopstream_one WITH (FORCE)" -c "CREATE DATABASE shopstream_one"
psql -q "$db" -f sql/schema.sql
user="${db#postgresql://}"; user="${user%%@*}"; rest="${db#*@}"
JAVA_OPTS="${JAVA_OPTS:-}${JFR:+ -XX:StartFlightRecording=filename=$w/p.jfr,settings=profile}" "$script" \
  --sparkMaster=local[2] --checkpointDir="$w/ck" --inputDir="$w/raw" --errorDir="$w/error" \
  --jdbcUrl="jdbc:postgresql://$rest?user=$user" > "$w/p.log" 2>&1 &
pid=$!
# CPU seconds of a process, and of every PostgreSQL server process (backends of this run included)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END {printf "%.1f", s / hz}' "$@" 2>/dev/null; }
pg_cpu() { cpu $(pgrep -x postgres | sed 's|.*|/proc/&/stat|'); }
until grep -q "Watching" "$w/p.log"; do sleep 0.5; done; sleep 8
start=$(date +%s.%N)
jvm0=$(cpu /proc/$pid/stat); pg0=$(pg_cpu)
find "$w/stage" \( -name '*.csv' -o -name '*.jsonl' \) -exec mv -t "$w/raw" {} +
until [ "$(psql -tA "$db" -c 'SELECT count(*) FROM ingested_files')" -ge "$files" ]; do sleep 0.5; done
jvm=$(echo "$(cpu /proc/$pid/stat) - $jvm0" | bc); pg=$(echo "$(pg_cpu) - $pg0" | bc)
end=$(psql -tA "$db" -c 'SELECT extract(epoch FROM max(committed_at)) FROM ingested_files')
echo "seconds $(echo "$end - $start" | bc)"
echo "cpu seconds: pipeline $jvm, postgresql $pg; lines per cpu second: pipeline $(echo "$files * $per / $jvm" | bc), postgresql $(echo "$files * $per / $pg" | bc)"
psql -tA "$db" -c "SELECT read_by, count(*) AS files, count(DISTINCT xmin::text) AS transactions FROM ingested_files GROUP BY 1" \
  -c "SELECT date_trunc('second', committed_at), count(*) FROM ingested_files GROUP BY 1 ORDER BY 1"
kill -TERM $pid; wait $pid || true
