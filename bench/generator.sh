#!/usr/bin/env bash
# Generator bulk-mode throughput (--rate 0): writes N events into a scratch folder, three times,
# and appends the best run to bench/results/generator.jsonl. Usage: bench/generator.sh [events]
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-2000000}"
mvn -q -DskipTests install
classpath="generator/target/classes:$(mvn -q -pl generator dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
out=bench/work/generator
best=0
for run in 1 2 3; do
  rm -rf "$out"
  start=$(date +%s.%N)
  java -cp "$classpath" io.shopstream.generator.Generator --rate 0 --count "$events" \
    --eventsPerFile 100000 --seed "$run" --outputDir "$out" >/dev/null
  end=$(date +%s.%N)
  rate=$(echo "$events / ($end - $start)" | bc)
  echo "run $run: $events events in $(echo "$end - $start" | bc) s = $rate events/s (whole JVM, start-up included)"
  [ "$rate" -gt "$best" ] && best=$rate
done
rm -rf "$out"
line="{\"bench\":\"generator-bulk\",\"date\":\"$(date -u +%FT%TZ)\",\"cores\":$(nproc),\"events\":$events,\"events_per_s\":$best,\"command\":\"bench/generator.sh $events\"}"
echo "$line" | tee -a bench/results/generator.jsonl
