#!/usr/bin/env bash
# Shutdown under load, many times (bench/run.sh measures it once per runner): starts a pipeline,
# lands 20 files of 50,000 lines, sends SIGTERM (what Ctrl-C sends) once the first is committed and
# times the exit; <runs> times, each on a fresh database. Checks every stored row belongs to a
# committed version; keeps a thread dump (bench/work/stop/dump-<run>.txt) of a stop that takes
# longer than 5 s. Further arguments are pipeline options (--batchIntervalMillis=2000).
#   bench/stop.sh runners/spark-local.sh|runners/direct.sh [runs] [pipeline options...]
set -e
script=$1; runs=${2:-10}; shift $(( $# < 2 ? $# : 2 ))
server="${BENCH_PSQL:-postgresql://postgres@127.0.0.1:5432/postgres}"; db="${server%/*}/shopstream_stop"
user="${server#postgresql://}"; user="${user%%@*}"; rest="${db#*@}"
w="$PWD/bench/work/stop"; rm -rf "$w"; mkdir -p "$w/stage"
gen_cp="generator/target/classes:$(mvn -q -o -pl generator dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
java -cp "$gen_cp" io.shopstream.generator.Generator --rate 0 --count 1000000 --eventsPerFile 50000 \
  --seed 7 --invalidRate 0.01 --duplicateRate 0.01 --outputDir "$w/stage" >/dev/null
q() { psql -tA "$db" -c "$1"; }
for run in $(seq 1 "$runs"); do
  rm -rf "$w/raw" "$w/error" "$w/ck"; mkdir -p "$w/raw" "$w/error"
  psql -q "${server%/*}/postgres" -c "DROP DATABASE IF EXISTS shopstream_stop WITH (FORCE)" -c "CREATE DATABASE shopstream_stop"
  "$script" --sparkMaster=local[2] --checkpointDir="$w/ck" --inputDir="$w/raw" --errorDir="$w/error" \
    --statusPort=0 --jdbcUrl="jdbc:postgresql://$rest?user=$user" "$@" > "$w/p-$run.log" 2>&1 &
  pid=$!
  until grep -q "Watching" "$w/p-$run.log"; do sleep 0.2; done
  for f in "$w"/stage/*.csv; do cp "$f" "$w/raw/.landing"; mv "$w/raw/.landing" "$w/raw/$(basename "$f")"; done
  until [ "$(q 'SELECT count(*) FROM ingested_files' 2>/dev/null || echo 0)" -ge 1 ]; do sleep 0.1; done
  start=$(date +%s.%N)
  kill -TERM "$pid"
  dumped=
  while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$dumped" ] && [ "$(echo "$(date +%s.%N) - $start > 5" | bc)" = 1 ]; then
      jcmd "$pid" Thread.print > "$w/dump-$run.txt" 2>&1 || true
      dumped=" (thread dump in $w/dump-$run.txt)"
    fi
    sleep 0.05
  done
  stop_s=$(echo "$(date +%s.%N) - $start" | bc)
  once=$([ "$(q 'SELECT count(*) FROM user_events')" = "$(q 'SELECT coalesce(sum(stored), 0) FROM ingested_files')" ] && echo ok || echo FAIL)
  printf 'run %2d: stop %5.2f s, %2s files committed, stored once %s%s\n' "$run" "$stop_s" \
    "$(q 'SELECT count(*) FROM ingested_files')" "$once" "$dumped"
done
