#!/usr/bin/env bash
# shopstream benchmark, one command. Measures, on this machine and in one run:
#  - the floor: PostgreSQL alone loading the main workload's files with as many sessions as cores
#    (each: COPY into a staging table, then INSERT ... ON CONFLICT DO NOTHING), median of 3;
#  - per runner (SparkRunner local[2], DirectRunner), started with the runners/ scripts' defaults:
#    ready (launch to the first file stored), latency (a 100-event file landed into the idle
#    pipeline), idle CPU (nothing landing: after the main workload, and at 4 minutes), shutdown (SIGTERM, what Ctrl-C sends, under load, to
#    exit), and the throughput and peak RSS of four workloads landed at once into a running
#    pipeline, each as old as main's was: main (1M lines in 20 files), big (5M in 100), small
#    (10,000 files of 100 lines) and single (one file of 1M lines). Every workload is checked: rows, rows per event type and sum
#    of prices against the generator's own totals, one error record per invalid line, the ledger
#    (a balanced row per file, its sums), the minute windows (they add up to user_events).
# Prints a table, appends one JSON line to bench/results/runs.jsonl.
#   bench/run.sh [--quick] [extra pipeline options...]
# --quick: a first look in a few minutes (a tenth of each workload, no big one, one floor run).
# BENCH_RUNNERS [SparkRunner DirectRunner] picks the pipelines; BENCH_JFR=1 records a JFR profile
# of each pipeline run in bench/work/<run>/pipeline.jfr (read it with bench/profile-summary.sh).
# PostgreSQL: BENCH_PSQL [postgresql://postgres@127.0.0.1:5432/postgres] (psql URL of a server the
# benchmark may create databases on and CHECKPOINT; the pipeline connects to it over JDBC).
source "$(dirname "$0")/../runners/common.sh"
quick=
[ "${1:-}" = --quick ] && { quick=1; shift; }
extra="$*"
scale=$([ -n "$quick" ] && echo 10 || echo 1)
server="${BENCH_PSQL:-postgresql://postgres@127.0.0.1:5432/postgres}"
work="$PWD/bench/work"
rm -rf "$work" && mkdir -p "$work" bench/results

mvn -q -DskipTests install
write_classpath
generator_cp="generator/target/classes:$(mvn -q -pl generator dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
generate() { # folder lines files seed invalidRate duplicateRate -> the generator's summary
  java -cp "$generator_cp" io.shopstream.generator.Generator --rate 0 --count "$2" \
    --eventsPerFile $(( $2 / $3 )) --seed "$4" --invalidRate "$5" --duplicateRate "$6" --outputDir "$1"
}
fresh_db() { # name -> psql URL of a new, empty database with the schema
  psql -q "$server" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" 2>/dev/null
  psql -q "${server%/*}/$1" -f sql/schema.sql
  echo "${server%/*}/$1"
}
jdbc_of() { # psql URL -> JDBC URL
  local rest="${1#postgresql://}" user="${1#postgresql://}"
  user="${user%%@*}"; rest="${rest#*@}"
  echo "jdbc:postgresql://$rest?user=$user"
}
now() { date +%s.%N; }
# Each measurement starts with PostgreSQL's dirty pages written out, so that none pays for the
# checkpoint of the one before.
settle() { psql -q "$server" -c CHECKPOINT; }
q() { psql -tA "$1" -c "$2"; }
check() { [ "$1" = "$2" ] && echo ok || echo "FAIL:$1!=$2"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_for() { # db query expected log: until the query's number reaches expected, 15 minutes at most
  local deadline=$((SECONDS + 900))
  until [ "$(q "$1" "$2")" -ge "$3" ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $3 from: $2; see $4" >&2; exit 1; }
    sleep 0.2
  done
}

# --- workloads ----------------------------------------------------------------------------------
declare -A lines files valid invalid by_type prices
workload() { # name lines files seed
  local summary
  summary=$(generate "$work/workloads/$1" "$2" "$3" "$4" 0.01 0.02)
  lines[$1]=$2 files[$1]=$3
  valid[$1]=$(echo "$summary" | sed -n 's/.*(\([0-9]*\) valid events.*/\1/p')
  invalid[$1]=$(echo "$summary" | sed -n 's/.* \([0-9]*\) invalid).*/\1/p')
  by_type[$1]=$(echo "$summary" | sed -n 's/.*by type {\(.*\)}, prices.*/\1/p' | tr -d ' ' | tr ',' '\n' | sort | paste -sd,)
  prices[$1]=$(echo "$summary" | sed -n 's/.*prices summing to \([0-9.]*\).*/\1/p')
}
names=(main small single)
workload main $((1000000 / scale)) 20 12
[ -n "$quick" ] || { workload big 5000000 100 13; names=(main big small single); }
workload small $((1000000 / scale)) $((10000 / scale)) 14
workload single $((1000000 / scale)) 1 15
for i in $(seq 0 10); do generate "$work/probes/$i" 100 1 $((100 + i)) 0 0 >/dev/null; done

# --- floor --------------------------------------------------------------------------------------
generate "$work/clean" "${lines[main]}" 20 11 0 0.02 >/dev/null
sessions=$(nproc)
sink_floor() { # -> appends seconds to floor_runs, sets sink_check
  local db start s
  db=$(fresh_db shopstream_bench_sink)
  for s in $(seq 1 "$sessions"); do
    psql -q "$db" -c "CREATE UNLOGGED TABLE staging_$s (event_id text, user_id text, product_id text,
      product_name text, category text, price text, event_type text, ts text)"
  done
  settle
  start=$(now)
  for s in $(seq 1 "$sessions"); do
    ( ls "$work"/clean/*.csv | awk -v n="$sessions" -v s="$s" 'NR % n == s % n' |
        sed "s|.*|\\\\copy staging_$s FROM '&' WITH (FORMAT csv, HEADER true)|"
      echo "INSERT INTO user_events (event_id, user_id, product_id, product_name, category, price,
        event_type, event_time, source_file, source_line) SELECT event_id, user_id, product_id,
        product_name, category, price::numeric, event_type, ts::timestamptz, 'bench', 0
        FROM staging_$s ORDER BY event_id ON CONFLICT (event_id) DO NOTHING;"  # sorted: no deadlock
    ) | psql -q "$db" &
  done
  wait
  floor_runs+=("$(echo "$(now) - $start" | bc)")
  local staged
  staged=$(seq 1 "$sessions" | sed 's/.*/SELECT event_id FROM staging_&/' | paste -sd' ' | sed 's/ SELECT/ UNION SELECT/g')
  [ "${sink_check:-ok}" != ok ] || sink_check=$(check "$(q "$db" "SELECT count(*) FROM user_events")" \
    "$(q "$db" "SELECT count(*) FROM ($staged) ids")")
  psql -q "$server" -c "DROP DATABASE shopstream_bench_sink WITH (FORCE)"
}
floor_runs=()
for i in $(seq 1 $([ -n "$quick" ] && echo 1 || echo 3)); do sink_floor; done
sink_s=$(printf '%s\n' "${floor_runs[@]}" | sort -n | sed -n "$(( (${#floor_runs[@]} + 1) / 2 ))p")
sink_rate=$(echo "${lines[main]} / $sink_s" | bc)

# --- shopstream ---------------------------------------------------------------------------------
start_pipeline() { # runner run -> sets pid, db, dir, launched
  dir="$work/$2"
  mkdir -p "$dir/raw" "$dir/error"
  db=$(fresh_db "shopstream_bench_$2")
  settle
  local script=runners/direct.sh
  [ "$1" = SparkRunner ] && script=runners/spark-local.sh
  launched=$(now)
  JAVA_OPTS="${BENCH_JFR:+-XX:StartFlightRecording=filename=$dir/pipeline.jfr,settings=profile}" \
    "$script" --sparkMaster=local[2] --checkpointDir="$dir/checkpoint" --inputDir="$dir/raw" \
    --errorDir="$dir/error" --jdbcUrl="$(jdbc_of "$db")" $extra >"$dir/pipeline.log" 2>&1 &
  pid=$!
}
land() { # file name: written under a hidden name, then renamed in, as writers do
  cp "$1" "$dir/raw/.landing"
  mv "$dir/raw/.landing" "$dir/raw/$2"
}
ready() { # -> seconds from launch until a first file landed was stored
  land "$(ls "$work"/probes/0/*.csv)" probe-0.csv
  echo "$(committed_at probe-0.csv) - $launched" | bc
}
committed_at() { # file name -> epoch seconds its version committed, once it has
  wait_for "$db" "SELECT count(*) FROM ingested_files WHERE path = '$dir/raw/$1'" 1 "$dir/pipeline.log"
  q "$db" "SELECT extract(epoch FROM committed_at) FROM ingested_files WHERE path = '$dir/raw/$1'"
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

# measure name: lands the workload's files at once, waits for its ledger rows, checks everything
measure() {
  local w=$1 first last
  # Copied beside the folder first, then all renamed in by one process: landing 10,000 files
  # with a cp and an mv each took longer than ingesting them (a cp each: 3.5 minutes).
  python3 -c 'import os, shutil, sys
os.makedirs(sys.argv[2], exist_ok=True)
for name in os.listdir(sys.argv[1]):
    shutil.copy(os.path.join(sys.argv[1], name), os.path.join(sys.argv[2], sys.argv[3] + "-" + name))' \
    "$work/workloads/$w" "$dir/stage" "$w"
  first=$(now)
  find "$dir/stage" -name '*.csv' -exec mv -t "$dir/raw" {} +
  wait_for "$db" "SELECT count(*) FROM ingested_files WHERE path LIKE '$dir/raw/$w-%'" "${files[$w]}" "$dir/pipeline.log"
  last=$(q "$db" "SELECT extract(epoch FROM max(committed_at)) FROM ingested_files WHERE path LIKE '$dir/raw/$w-%'")
  local seconds rate rss stored types price errors ledger windows
  seconds=$(echo "$last - $first" | bc)
  rate=$(echo "${lines[$w]} / $seconds" | bc)
  rss=$(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$pid/status") / 1024 ))
  local mine="source_file LIKE '$dir/raw/$w-%'"
  stored=$(check "$(q "$db" "SELECT count(*) FROM user_events WHERE $mine")" "${valid[$w]}")
  types=$(check "$(q "$db" "SELECT string_agg(event_type || '=' || n, ',' ORDER BY event_type) FROM (SELECT event_type, count(*) n FROM user_events WHERE $mine GROUP BY 1) t")" "${by_type[$w]}")
  price=$(check "$(q "$db" "SELECT sum(price) FROM user_events WHERE $mine")" "${prices[$w]}")
  errors=$(check "$(cat "$dir"/error/"$w"-*.jsonl 2>/dev/null | wc -l)" "${invalid[$w]}")
  # a header line per file; the schema's CHECK holds each row's balance
  ledger=$(check "$(q "$db" "SELECT count(*) || '/' || sum(lines) || '/' || sum(stored) || '/' || sum(errors) FROM ingested_files WHERE path LIKE '$dir/raw/$w-%'")" \
    "${files[$w]}/$(( ${lines[$w]} + ${files[$w]} ))/${valid[$w]}/${invalid[$w]}")
  windows=$(check "$(q "$db" "SELECT sum(events) || '/' || sum(revenue) FROM event_stats_minute")" \
    "$(q "$db" "SELECT count(*) || '/' || sum(price) FROM user_events")")
  result["$run/$w"]="$seconds $rate $rss $stored $types $price $errors $ledger $windows"
}

declare -A result
steady_min=$([ -n "$quick" ] && echo 2 || echo 4)
runners="${BENCH_RUNNERS:-SparkRunner DirectRunner}"
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  # Ready, latency, idle, main workload, shutdown: one pipeline.
  start_pipeline "$runner" "$run"
  ready_s=$(ready)
  latencies=()
  for i in $(seq 1 $([ -n "$quick" ] && echo 3 || echo 10)); do
    pause=$((10 + RANDOM % 20)) # tenths; $RANDOM inside $(...) gave the same pause every time
    sleep "${pause:0:-1}.${pause: -1}"
    land "$(ls "$work"/probes/$i/*.csv)" "probe-$i.csv"
    landed=$(stat -c %.3Y "$dir/raw/probe-$i.csv")
    latencies+=("$(echo "$(committed_at "probe-$i.csv") - $landed" | bc)")
  done
  lat_median=$(printf '%s\n' "${latencies[@]}" | median)
  lat_max=$(printf '%s\n' "${latencies[@]}" | sort -n | tail -n 1 | awk '{printf "%.2f", $1}')
  age=$(echo "$(now) - $launched" | bc)
  measure main
  # Idle twice: 5 s after the main workload, and once the pipeline is 4 minutes old (2 with
  # --quick), as in a pipeline running for days: JIT compilers still compiled Spark's per-batch
  # code minutes after start (C2 took a third of an idle SparkRunner's CPU at minute 7).
  idle_s=$([ -n "$quick" ] && echo 10 || echo 30)
  idle() { # -> % of a core over idle_s
    local ticks; ticks=$(cpu_ticks "$pid"); sleep "$idle_s"
    echo $(( ($(cpu_ticks "$pid") - ticks) * 100 / $(getconf CLK_TCK) / idle_s ))
  }
  sleep 5
  idle_cpu=$(idle)
  sleep "$(echo "$steady_min * 60 - ($(now) - $launched)" | bc | awk '{print ($1 > 0 ? $1 : 0)}')"
  steady_cpu=$(idle)
  # Shutdown under load: the main workload again under other names (all duplicates: read,
  # staged and inserted all the same), SIGTERM once its first file committed.
  for f in "$work"/workloads/main/*.csv; do land "$f" "again-$(basename "$f")"; done
  wait_for "$db" "SELECT count(*) FROM ingested_files WHERE path LIKE '$dir/raw/again-%'" 1 "$dir/pipeline.log"
  lines_before=$(wc -l < "$dir/pipeline.log")
  stop_start=$(now)
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  stop_s=$(echo "$(now) - $stop_start" | bc)
  traces=$(tail -n +"$lines_before" "$dir/pipeline.log" | grep -c '^\s*at \|Exception' || true)
  # nothing half-written: every stored row belongs to a committed version, counted once
  orphans=$(check "$(q "$db" "SELECT count(*) FROM user_events")" "$(q "$db" "SELECT sum(stored) FROM ingested_files")")
  result["$run/ops"]="$ready_s $lat_median $lat_max $idle_cpu $steady_cpu $stop_s $traces $orphans"
  for w in "${names[@]:1}"; do
    start_pipeline "$runner" "${run}_$w"
    ready >/dev/null
    # Each workload lands into a pipeline as old as the main one was when its files landed (after
    # the latency probes). Landed at once after ready, the single file paid for the start's JIT
    # compiling (pipeline CPU 10.8 s against 6.1 s, 17.6 s against 16.2 s) and main did not.
    sleep "$(echo "$age - ($(now) - $launched)" | bc | awk '{print ($1 > 0 ? $1 : 0)}')"
    measure "$w"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  done
done

# --- report -------------------------------------------------------------------------------------
printf '\n%s cores, %s, %s\n' "$(nproc)" "${quick:+quick, }commit $(git rev-parse --short HEAD)" "${extra:-default options}"
printf 'floor: %s sessions, %s lines in 20 files, %.1f s (runs: %s), %s lines/s, %s\n' "$sessions" \
  "${lines[main]}" "$sink_s" "${floor_runs[*]}" "$sink_rate" "$sink_check"
printf '\n%-9s %-7s %9s %10s %8s %8s  %s\n' runner workload seconds lines/s "ratio" "RSS MB" "checks (rows types prices errors ledger windows)"
json=""
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  main_rate=$(echo "${result[$run/main]}" | cut -d' ' -f2)
  for w in "${names[@]}"; do
    read -r seconds rate rss stored types price errors ledger windows <<<"${result[$run/$w]}"
    # main against the floor, the others against main
    ratio=$([ "$w" = main ] && echo $(( rate * 100 / sink_rate ))% || echo $(( rate * 100 / main_rate ))%)
    printf '%-9s %-7s %9.1f %10s %8s %8s  %s %s %s %s %s %s\n' "$run" "$w" "$seconds" "$rate" "$ratio" "$rss" \
      "$stored" "$types" "$price" "$errors" "$ledger" "$windows"
    json+=",\"$run/$w\":{\"seconds\":$seconds,\"lines_per_s\":$rate,\"ratio\":\"$ratio\",\"peak_rss_mb\":$rss,\"checks\":\"$stored $types $price $errors $ledger $windows\"}"
  done
done
printf '\n%-9s %9s %11s %9s %9s %9s %10s %13s %11s\n' runner "ready s" "lat median" "lat max" "idle CPU" "at $steady_min min" "stop s" "stop traces" "stored once"
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  read -r ready_s lat_median lat_max idle_cpu steady_cpu stop_s traces orphans <<<"${result[$run/ops]}"
  printf '%-9s %9.1f %10ss %8ss %8s%% %8s%% %10.1f %13s %11s\n' "$run" "$ready_s" "$lat_median" "$lat_max" "$idle_cpu" "$steady_cpu" "$stop_s" "$traces" "$orphans"
  json+=",\"$run/ops\":{\"ready_s\":$ready_s,\"latency_median_s\":$lat_median,\"latency_max_s\":$lat_max,\"idle_cpu_pct\":$idle_cpu,\"idle_cpu_at_${steady_min}_min_pct\":$steady_cpu,\"stop_s\":$stop_s,\"stop_traces\":$traces,\"stored_once\":\"$orphans\"}"
done
echo "{\"date\":\"$(date -u +%FT%TZ)\",\"cores\":$(nproc),\"quick\":${quick:-0},\"options\":\"$extra\",\"commit\":\"$(git rev-parse --short HEAD)\",\"floor\":{\"sessions\":$sessions,\"lines\":${lines[main]},\"seconds\":$sink_s,\"lines_per_s\":$sink_rate,\"runs_s\":[$(IFS=,; echo "${floor_runs[*]}")]}$json}" >> bench/results/runs.jsonl
