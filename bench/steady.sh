#!/usr/bin/env bash
# A quick A/B of latency and idle cost (bench/run.sh's figures are the ones to quote): starts a
# pipeline on an empty folder, measures its idle CPU over 30 s once it is 90 s old, then lands
# <files> generated 2,000-line files one a second and prints p50 and p99 of modification time to
# ledger commit. Further arguments are pipeline options (--batchIntervalMillis=2000).
#   bench/steady.sh runners/spark-local.sh|runners/direct.sh [files] [pipeline options...]
set -e
script=$1; n=${2:-30}; shift $(( $# < 2 ? $# : 2 ))
db="${BENCH_PSQL:-postgresql://postgres@127.0.0.1:5432/postgres}"; db="${db%/*}/shopstream_steady"
w="$PWD/bench/work/steady"; rm -rf "$w"; mkdir -p "$w/raw" "$w/error" "$w/stage"
gen_cp="generator/target/classes:$(mvn -q -o -pl generator dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
java -cp "$gen_cp" io.shopstream.generator.Generator --rate 0 --count $((n * 2000)) --eventsPerFile 2000 \
  --seed 5 --invalidRate 0.01 --duplicateRate 0.01 --outputDir "$w/stage" >/dev/null
psql -q "${db%/*}/postgres" -c "DROP DATABASE IF EXISTS shopstream_steady WITH (FORCE)" -c "CREATE DATABASE shopstream_steady"
user="${db#postgresql://}"; user="${user%%@*}"; rest="${db#*@}"
"$script" --sparkMaster=local[2] --checkpointDir="$w/ck" --inputDir="$w/raw" --errorDir="$w/error" \
  --statusPort=0 --jdbcUrl="jdbc:postgresql://$rest?user=$user" "$@" > "$w/p.log" 2>&1 &
pid=$!
until grep -q "Watching" "$w/p.log"; do sleep 0.5; done; sleep 90
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks); sleep 30
echo "idle CPU: $(( ($(ticks) - t0) * 100 / $(getconf CLK_TCK) / 30 ))% of a core"
i=0
for f in "$w"/stage/*.csv; do
  cp "$f" "$w/raw/.landing"; mv "$w/raw/.landing" "$w/raw/stream-$i.csv"; i=$((i + 1)); sleep 1
done
until [ "$(psql -tA "$db" -c 'SELECT count(*) FROM ingested_files')" -ge "$n" ]; do sleep 0.5; done
psql -tA "$db" -F ' ' -c "SELECT 'stream p50', round(percentile_disc(0.5) WITHIN GROUP (ORDER BY l), 2),
  's, p99', round(percentile_disc(0.99) WITHIN GROUP (ORDER BY l), 2), 's'
  FROM (SELECT extract(epoch FROM committed_at - modified_at) l FROM ingested_files) x"
kill -TERM $pid; wait $pid || true
