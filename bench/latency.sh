#!/usr/bin/env bash
# Latency: one small file (100 events) landed into a running, idle pipeline; seconds from the
# file's landing (its modification time) to the commit of its last row (ingested_at).
# Ten probes; prints each, then median and max, and appends a JSON line to bench/results/.
# Usage: bench/latency.sh [SparkRunner|DirectRunner] [extra pipeline options...]
# Needs psql and a PostgreSQL server: BENCH_JDBC_URL [jdbc:postgresql://127.0.0.1:5432/postgres],
# BENCH_PSQL [postgresql://postgres@127.0.0.1:5432/postgres] (the same server).
set -euo pipefail
cd "$(dirname "$0")/.."
runner="${1:-SparkRunner}"
shift || true
server_jdbc="${BENCH_JDBC_URL:-jdbc:postgresql://127.0.0.1:5432/postgres}"
server_psql="${BENCH_PSQL:-postgresql://postgres@127.0.0.1:5432/postgres}"
probes=10
db="shopstream_bench_latency"
work="$PWD/bench/work/latency"

psql -q "$server_psql" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
db_psql="${server_psql%/*}/$db"
db_jdbc="${server_jdbc%/*}/$db?user=postgres"
rm -rf "$work" && mkdir -p "$work/raw" "$work/error"

mvn -q -DskipTests install
generator_cp="generator/target/classes:$(mvn -q -pl generator dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
export SPARK_LOCAL_IP=127.0.0.1
mvn -q -pl pipeline exec:java -Dexec.args="--runner=$runner --sparkMaster=local[2] \
  --checkpointDir=$work/checkpoint --inputDir=$work/raw --errorDir=$work/error \
  --jdbcUrl=$db_jdbc $*" > "$work/pipeline.log" 2>&1 &
pipeline=$!
trap 'kill $pipeline 2>/dev/null; wait $pipeline 2>/dev/null || true' EXIT

# Lands 100 events as one file; prints the file's path.
land() {
  java -cp "$generator_cp" io.shopstream.generator.Generator --rate 0 --count 100 --seed "$1" \
    --eventsPerFile 100 --outputDir "$work/raw" >/dev/null
  ls -t "$work"/raw/*.csv | head -n 1
}

# Waits until the file's 100 rows are stored; prints seconds from landing to the last commit.
latency() {
  local file="$1" deadline=$((SECONDS + 180))
  while [ "$(psql -tA "$db_psql" -c "SELECT count(*) FROM user_events WHERE source_file = '$file'")" != 100 ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $file; see $work/pipeline.log" >&2; exit 1; }
    sleep 0.2
  done
  local landed
  landed=$(stat -c %.3Y "$file")
  psql -tA "$db_psql" -c "SELECT round((extract(epoch FROM max(ingested_at)) - $landed)::numeric, 2) FROM user_events WHERE source_file = '$file'"
}

echo "warming up ($runner)..."
latency "$(land 1000)" >/dev/null
results=()
for i in $(seq 1 $probes); do
  sleep "$(echo "scale=1; ($RANDOM % 30) / 10" | bc)" # land at a random phase of the window
  seconds=$(latency "$(land "$i")")
  echo "probe $i: $seconds s"
  results+=("$seconds")
done
sorted=$(printf '%s\n' "${results[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')
max=$(echo "$sorted" | tail -n 1)
echo "$runner latency over $probes probes: median $median s, max $max s"
mkdir -p bench/results
echo "{\"bench\":\"latency\",\"runner\":\"$runner\",\"date\":\"$(date -u +%FT%TZ)\",\"cores\":$(nproc),\"probes\":$probes,\"median_s\":$median,\"max_s\":$max,\"options\":\"$*\",\"command\":\"bench/latency.sh $runner $*\"}" \
  >> bench/results/latency.jsonl
