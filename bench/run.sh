#!/usr/bin/env bash
# shopstream benchmark, one command. Measures, on this machine and in one run:
#  - floors: PostgreSQL alone loading a workload's files with as many sessions as cores (each:
#    COPY into a staging table, then INSERT ... ON CONFLICT DO NOTHING), median of 3: for events
#    close in time (main), for a backfill (event times over 90 days), and into a big user_events;
#  - the plain Spark peer (bench/spark-peer: Structured Streaming, foreachBatch, INSERT ... ON
#    CONFLICT, local[2]), what users would write instead, on main and backfill;
#  - per runner (SparkRunner local[2], DirectRunner), started with the runners/ scripts' defaults:
#    ready (launch to the first file stored), latency (a 100-event file landed into the idle
#    pipeline), idle CPU (nothing landing: after the main workload, and at 4 minutes), a steady
#    stream (a 2,000-line file landing every second: latency p50 and p99), shutdown (SIGTERM, what
#    Ctrl-C sends, under load, to exit), and the throughput and peak RSS of workloads landed at once
#    into a running pipeline, each as old as main's was: main (1M lines in 20 files), backfill (the
#    same over 90 days), jsonl (main's shape as JSON Lines), big (5M in 100), small (10,000 files
#    of 100 lines), single (one file of 1M lines) and bigtable (main into a user_events already
#    holding 20M rows); and a full folder
#    (20,000 committed files kept: idle CPU against the same pipeline's with an empty folder, and a
#    new file's latency). Every workload is checked: rows, rows per event type and sum of prices
#    against the generator's own totals, one error record per invalid line, the ledger (a balanced
#    row per file, its sums), the minute windows (they add up to user_events, before the pipeline
#    folds them and after: "fold s" is the last commit to the end of the fold).
# Prints the tables and the targets met and not met, appends one JSON line to
# bench/results/runs.jsonl.
#   bench/run.sh [--quick] [extra pipeline options...]
# --quick: a first look (a tenth of each workload and of the big table, no big workload, one floor
# run, 2,000 files kept, a 20 s stream).
# BENCH_RUNNERS [SparkRunner DirectRunner] picks the pipelines, BENCH_PEER=0 leaves out the peer;
# BENCH_JFR=1 records a JFR profile of each pipeline run in bench/work/<run>/pipeline.jfr (read it
# with bench/profile-summary.sh).
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
peer_cp="bench/spark-peer/target/classes:$(mvn -q -pl bench/spark-peer dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
generate() { # folder lines files seed invalidRate duplicateRate [generator options] -> its summary
  java -cp "$generator_cp" io.shopstream.generator.Generator --rate 0 --count "$2" \
    --eventsPerFile $(( $2 / $3 )) --seed "$4" --invalidRate "$5" --duplicateRate "$6" --outputDir "$1" "${@:7}"
}
fresh_db() { # name [template] -> psql URL of a new database with the schema (a copy of template)
  export PGOPTIONS="-c client_min_messages=warning" # the schema's "already exists" notices
  psql -q "$server" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
    -c "CREATE DATABASE $1${2:+ TEMPLATE $2}" 2>/dev/null
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
declare -A lines files headers valid invalid by_type prices
workload() { # name lines files seed [generator options]
  local summary
  summary=$(generate "$work/workloads/$1" "$2" "$3" "$4" 0.01 0.02 "${@:5}")
  lines[$1]=$2 files[$1]=$3
  headers[$1]=$([[ " ${*:5} " == *" --format jsonl "* ]] && echo 0 || echo "$3") # a CSV header per file
  valid[$1]=$(echo "$summary" | sed -n 's/.*(\([0-9]*\) valid events.*/\1/p')
  invalid[$1]=$(echo "$summary" | sed -n 's/.* \([0-9]*\) invalid).*/\1/p')
  by_type[$1]=$(echo "$summary" | sed -n 's/.*by type {\(.*\)}, prices.*/\1/p' | tr -d ' ' | tr ',' '\n' | sort | paste -sd,)
  prices[$1]=$(echo "$summary" | sed -n 's/.*prices summing to \([0-9.]*\).*/\1/p')
}
names=(main backfill jsonl small single bigtable)
workload main $((1000000 / scale)) 20 12
workload backfill $((1000000 / scale)) 20 16 --spreadDays 90
workload jsonl $((1000000 / scale)) 20 20 --format jsonl
[ -n "$quick" ] || { workload big 5000000 100 13; names=(main backfill jsonl big small single bigtable); }
workload small $((1000000 / scale)) $((10000 / scale)) 14
workload single $((1000000 / scale)) 1 15
workload bigtable $((1000000 / scale)) 20 17
kept=$((20000 / scale))
generate "$work/kept" $((kept * 10)) "$kept" 18 0 0 >/dev/null
for i in $(seq 0 10); do generate "$work/probes/$i" 100 1 $((100 + i)) 0 0 >/dev/null; done
stream_s=$([ -n "$quick" ] && echo 20 || echo 60)
generate "$work/stream" $((stream_s * 2000)) "$stream_s" 19 0.01 0.02 >/dev/null

# A user_events already holding 20M rows (2M with --quick), copied for each run that needs it.
big_rows=$((20000000 / scale))
prefilled=$(fresh_db shopstream_bench_prefilled)
# loaded without its indexes, which are then built once (inserted into, 20M rows took 14 minutes)
psql -q "$prefilled" -c "ALTER TABLE user_events DROP CONSTRAINT user_events_pkey" \
  -c "DROP INDEX user_events_user_id_idx, user_events_event_type_idx, user_events_event_time_idx" \
  -c "INSERT INTO user_events (event_id, user_id, product_id, product_name,
  category, price, event_type, event_time, source_file, source_line)
  SELECT md5(i::text), 'u' || i % 100000, 'p' || i % 5000, 'product ' || i % 5000, 'c' || i % 12,
    (i % 50000) / 100.0, (ARRAY['view', 'add_to_cart', 'purchase'])[1 + i % 3],
    timestamptz '2025-01-01' + i * interval '1 second', 'prefilled', i
  FROM generate_series(1, $big_rows) i" -c "ALTER TABLE user_events ADD PRIMARY KEY (event_id)"
psql -q "$prefilled" -f sql/schema.sql -c "VACUUM ANALYZE user_events"

# --- floors -------------------------------------------------------------------------------------
generate "$work/clean/main" "${lines[main]}" 20 11 0 0.02 >/dev/null
generate "$work/clean/backfill" "${lines[main]}" 20 11 0 0.02 --spreadDays 90 >/dev/null
sessions=$(nproc)
sink_floor() { # files [template] -> appends seconds to floor_runs, sets sink_check
  local db start s
  db=$(fresh_db shopstream_bench_sink "${2:-}")
  for s in $(seq 1 "$sessions"); do
    psql -q "$db" -c "CREATE UNLOGGED TABLE staging_$s (event_id text, user_id text, product_id text,
      product_name text, category text, price text, event_type text, ts text)"
  done
  settle
  start=$(now)
  for s in $(seq 1 "$sessions"); do
    ( ls "$1"/*.csv | awk -v n="$sessions" -v s="$s" 'NR % n == s % n' |
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
  [ "${sink_check:-ok}" != ok ] || sink_check=$(check "$(q "$db" "SELECT count(*) FROM user_events WHERE source_file = 'bench'")" \
    "$(q "$db" "SELECT count(*) FROM ($staged) ids")")
  psql -q "$server" -c "DROP DATABASE shopstream_bench_sink WITH (FORCE)"
}
declare -A floor_s floor_rate floor_all
floor() { # shape files [template]
  floor_runs=()
  for i in $(seq 1 $([ -n "$quick" ] && echo 1 || echo 3)); do sink_floor "$2" "${3:-}"; done
  floor_s[$1]=$(printf '%s\n' "${floor_runs[@]}" | sort -n | sed -n "$(( (${#floor_runs[@]} + 1) / 2 ))p")
  floor_rate[$1]=$(echo "${lines[main]} / ${floor_s[$1]}" | bc)
  floor_all[$1]="${floor_runs[*]}"
}
floor main "$work/clean/main"
floor backfill "$work/clean/backfill"
floor bigtable "$work/clean/main" shopstream_bench_prefilled

# --- plain Spark peer ---------------------------------------------------------------------------
declare -A peer
peer_measure() { # workload -> peer[workload]="seconds rate rss rows types prices"
  local w=$1 dir="$work/peer_$1" db first last pid
  mkdir -p "$dir/raw" "$dir/stage"
  db=$(fresh_db shopstream_bench_peer)
  settle
  java $(cat .mvn/jvm.config) -Xmx1g -cp "$peer_cp" io.shopstream.bench.PlainSparkPeer \
    --inputDir="$dir/raw" --errorDir="$dir/error" --checkpointDir="$dir/checkpoint" \
    --jdbcUrl="$(jdbc_of "$db")" >"$dir/peer.log" 2>&1 &
  pid=$!
  until grep -qs "Stream started from" "$dir/peer.log"; do sleep 0.5; done
  sleep 5
  cp "$work/workloads/$w"/*.csv "$dir/stage/"
  first=$(now)
  find "$dir/stage" -name '*.csv' -exec mv -t "$dir/raw" {} +
  wait_for "$db" "SELECT count(*) FROM user_events" "${valid[$w]}" "$dir/peer.log"
  last=$(now)
  local rows types price
  rows=$(check "$(q "$db" "SELECT count(*) FROM user_events")" "${valid[$w]}")
  types=$(check "$(q "$db" "SELECT string_agg(event_type || '=' || n, ',' ORDER BY event_type) FROM (SELECT event_type, count(*) n FROM user_events GROUP BY 1) t")" "${by_type[$w]}")
  price=$(check "$(q "$db" "SELECT sum(price) FROM user_events")" "${prices[$w]}")
  peer[$w]="$(echo "$last - $first" | bc) $(echo "${lines[$w]} / ($last - $first)" | bc) $(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$pid/status") / 1024 )) $rows $types $price"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  psql -q "$server" -c "DROP DATABASE shopstream_bench_peer WITH (FORCE)"
}
if [ "${BENCH_PEER:-1}" = 1 ]; then peer_measure main; peer_measure backfill; fi

# --- shopstream ---------------------------------------------------------------------------------
start_pipeline() { # runner run [template] -> sets pid, db, dir, launched
  dir="$work/$2"
  mkdir -p "$dir/raw" "$dir/error"
  db=$(fresh_db "shopstream_bench_$2" "${3:-}")
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
  find "$dir/stage" \( -name '*.csv' -o -name '*.jsonl' \) -exec mv -t "$dir/raw" {} +
  wait_for "$db" "SELECT count(*) FROM ingested_files WHERE path LIKE '$dir/raw/$w-%'" "${files[$w]}" "$dir/pipeline.log"
  last=$(q "$db" "SELECT extract(epoch FROM max(committed_at)) FROM ingested_files WHERE path LIKE '$dir/raw/$w-%'")
  local seconds rate rss stored types price errors ledger windows fold
  seconds=$(echo "$last - $first" | bc)
  rate=$(echo "${lines[$w]} / $seconds" | bc)
  rss=$(( $(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$pid/status") / 1024 ))
  local mine="source_file LIKE '$dir/raw/$w-%'"
  stored=$(check "$(q "$db" "SELECT count(*) FROM user_events WHERE $mine")" "${valid[$w]}")
  types=$(check "$(q "$db" "SELECT string_agg(event_type || '=' || n, ',' ORDER BY event_type) FROM (SELECT event_type, count(*) n FROM user_events WHERE $mine GROUP BY 1) t")" "${by_type[$w]}")
  price=$(check "$(q "$db" "SELECT sum(price) FROM user_events WHERE $mine")" "${prices[$w]}")
  errors=$(check "$(cat "$dir"/error/"$w"-*.jsonl 2>/dev/null | wc -l)" "${invalid[$w]}")
  # the schema's CHECK holds each row's balance
  ledger=$(check "$(q "$db" "SELECT count(*) || '/' || sum(lines) || '/' || sum(stored) || '/' || sum(errors) FROM ingested_files WHERE path LIKE '$dir/raw/$w-%'")" \
    "${files[$w]}/$(( ${lines[$w]} + ${headers[$w]} ))/${valid[$w]}/${invalid[$w]}")
  # the windows count what the pipeline stored (a big table's prefilled rows are not its own)
  local sums="SELECT sum(events) || '/' || sum(revenue) FROM event_stats_minute"
  local rows="SELECT count(*) || '/' || sum(price) FROM user_events WHERE source_file <> 'prefilled'"
  windows=$(check "$(q "$db" "$sums")" "$(q "$db" "$rows")")
  # and again once the pipeline has folded them (ingest quiet for 3 s): fold s, from the last commit
  wait_for "$db" "SELECT (NOT EXISTS (SELECT 1 FROM event_stats_pending))::int" 1 "$dir/pipeline.log"
  fold=$(echo "$(now) - $last" | bc)
  [ "$windows" != ok ] || windows=$(check "$(q "$db" "$sums")" "$(q "$db" "$rows")")
  result["$run/$w"]="$seconds $rate $rss $stored $types $price $errors $ledger $windows $fold"
}

percentile() { # p -> the p-th percentile (nearest rank) of the numbers on stdin
  sort -n | awk -v p="$1" '{a[NR]=$1} END {i = int(NR * p / 100 + 0.999); printf "%.2f", a[i < 1 ? 1 : i]}'
}
# stream: a 2,000-line file landing every second for stream_s seconds; latency of each to its commit
stream() {
  local i next latencies=()
  local files=("$work"/stream/*.csv)
  next=$(now)
  for i in "${!files[@]}"; do
    sleep "$(echo "$next - $(now)" | bc | awk '{print ($1 > 0 ? $1 : 0)}')"
    land "${files[$i]}" "stream-$i.csv"
    stream_landed[$i]=$(stat -c %.3Y "$dir/raw/stream-$i.csv")
    next=$(echo "$next + 1" | bc)
  done
  for i in "${!files[@]}"; do
    latencies+=("$(echo "$(committed_at "stream-$i.csv") - ${stream_landed[$i]}" | bc)")
  done
  stream_p50=$(printf '%s\n' "${latencies[@]}" | percentile 50)
  stream_p99=$(printf '%s\n' "${latencies[@]}" | percentile 99)
}
# full folder: idle CPU with the folder empty, then with kept files committed and kept in it, and
# a new file's latency among them
full_folder() { # runner
  start_pipeline "$1" "${run}_kept"
  ready >/dev/null
  sleep "$(echo "$age - ($(now) - $launched)" | bc | awk '{print ($1 > 0 ? $1 : 0)}')"
  kept_idle_empty=$(idle)
  mkdir -p "$dir/stage"
  find "$work/kept" -name '*.csv' -exec cp -t "$dir/stage" {} +
  find "$dir/stage" -name '*.csv' -exec mv -t "$dir/raw" {} +
  wait_for "$db" "SELECT count(*) FROM ingested_files" $((kept + 1)) "$dir/pipeline.log"
  sleep 5
  kept_idle_full=$(idle)
  land "$(ls "$work"/probes/10/*.csv)" probe-10.csv
  kept_latency=$(echo "$(committed_at probe-10.csv) - $(stat -c %.3Y "$dir/raw/probe-10.csv")" | bc)
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

idle_s=$([ -n "$quick" ] && echo 10 || echo 30)
idle() { # -> % of a core the pipeline took over idle_s
  local ticks; ticks=$(cpu_ticks "$pid"); sleep "$idle_s"
  echo $(( ($(cpu_ticks "$pid") - ticks) * 100 / $(getconf CLK_TCK) / idle_s ))
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
  sleep 5
  idle_cpu=$(idle)
  sleep "$(echo "$steady_min * 60 - ($(now) - $launched)" | bc | awk '{print ($1 > 0 ? $1 : 0)}')"
  steady_cpu=$(idle)
  stream
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
  result["$run/ops"]="$ready_s $lat_median $lat_max $idle_cpu $steady_cpu $stop_s $traces $orphans $stream_p50 $stream_p99"
  for w in "${names[@]:1}"; do
    start_pipeline "$runner" "${run}_$w" "$([ "$w" = bigtable ] && echo shopstream_bench_prefilled)"
    ready >/dev/null
    # Each workload lands into a pipeline as old as the main one was when its files landed (after
    # the latency probes). Landed at once after ready, the single file paid for the start's JIT
    # compiling (pipeline CPU 10.8 s against 6.1 s, 17.6 s against 16.2 s) and main did not.
    sleep "$(echo "$age - ($(now) - $launched)" | bc | awk '{print ($1 > 0 ? $1 : 0)}')"
    measure "$w"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  done
  full_folder "$runner"
  result["$run/kept"]="$kept_idle_empty $kept_idle_full $kept_latency"
done

# --- report -------------------------------------------------------------------------------------
pct() { echo $(( $1 * 100 / $2 )); } # a b -> a as a % of b
printf '\n%s cores, %s, %s\n' "$(nproc)" "${quick:+quick, }commit $(git rev-parse --short HEAD)" "${extra:-default options}"
json=""
for shape in main backfill bigtable; do
  printf 'floor %-8s %s sessions, %s lines in 20 files, %.1f s (runs: %s), %s lines/s\n' "$shape" "$sessions" \
    "${lines[main]}" "${floor_s[$shape]}" "${floor_all[$shape]}" "${floor_rate[$shape]}"
  json+=",\"floor/$shape\":{\"seconds\":${floor_s[$shape]},\"lines_per_s\":${floor_rate[$shape]},\"runs_s\":[$(echo "${floor_all[$shape]}" | tr ' ' ,)]}"
done
echo "floor check: $sink_check; bigtable: user_events holding $big_rows rows before"
for w in main backfill; do
  [ -n "${peer[$w]:-}" ] || continue
  read -r seconds rate rss rows types price <<<"${peer[$w]}"
  printf 'plain Spark peer %-8s %9.1f s %8s lines/s, RSS %s MB, checks (rows types prices) %s %s %s\n' "$w" "$seconds" "$rate" "$rss" "$rows" "$types" "$price"
  json+=",\"peer/$w\":{\"seconds\":$seconds,\"lines_per_s\":$rate,\"peak_rss_mb\":$rss,\"checks\":\"$rows $types $price\"}"
done
# main, backfill and bigtable against their floors (and the peer); the others against main
printf '\n%-9s %-9s %9s %10s %8s %8s %8s %7s  %s\n' runner workload seconds lines/s "ratio" "vs peer" "RSS MB" "fold s" "checks (rows types prices errors ledger windows)"
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  main_rate=$(echo "${result[$run/main]}" | cut -d' ' -f2)
  for w in "${names[@]}"; do
    read -r seconds rate rss stored types price errors ledger windows fold <<<"${result[$run/$w]}"
    case $w in main|backfill|bigtable) ratio=$(pct "$rate" "${floor_rate[$w]}")%;; *) ratio="$(pct "$rate" "$main_rate")% main";; esac
    vs_peer=-
    [ -z "${peer[$w]:-}" ] || vs_peer=$(echo "scale=2; $rate / $(echo "${peer[$w]}" | cut -d' ' -f2)" | bc)x
    printf '%-9s %-9s %9.1f %10s %8s %8s %8s %7.1f  %s %s %s %s %s %s\n' "$run" "$w" "$seconds" "$rate" "$ratio" "$vs_peer" "$rss" \
      "$fold" "$stored" "$types" "$price" "$errors" "$ledger" "$windows"
    json+=",\"$run/$w\":{\"seconds\":$seconds,\"lines_per_s\":$rate,\"ratio\":\"$ratio\",\"vs_peer\":\"$vs_peer\",\"peak_rss_mb\":$rss,\"fold_s\":$fold,\"checks\":\"$stored $types $price $errors $ledger $windows\"}"
  done
done
printf '\n%-9s %9s %11s %9s %9s %9s %10s %13s %11s %11s %11s\n' runner "ready s" "lat median" "lat max" "idle CPU" "at $steady_min min" "stop s" "stop traces" "stored once" "stream p50" "stream p99"
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  read -r ready_s lat_median lat_max idle_cpu steady_cpu stop_s traces orphans p50 p99 <<<"${result[$run/ops]}"
  printf '%-9s %9.1f %10ss %8ss %8s%% %8s%% %10.1f %13s %11s %10ss %10ss\n' "$run" "$ready_s" "$lat_median" "$lat_max" "$idle_cpu" "$steady_cpu" "$stop_s" "$traces" "$orphans" "$p50" "$p99"
  json+=",\"$run/ops\":{\"ready_s\":$ready_s,\"latency_median_s\":$lat_median,\"latency_max_s\":$lat_max,\"idle_cpu_pct\":$idle_cpu,\"idle_cpu_at_${steady_min}_min_pct\":$steady_cpu,\"stop_s\":$stop_s,\"stop_traces\":$traces,\"stored_once\":\"$orphans\",\"stream_p50_s\":$p50,\"stream_p99_s\":$p99}"
done
printf '\n%-9s %17s %17s %17s\n' runner "idle CPU, empty" "with $kept kept" "new file among them"
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  read -r empty full latency <<<"${result[$run/kept]}"
  printf '%-9s %16s%% %16s%% %16.2fs\n' "$run" "$empty" "$full" "$latency"
  json+=",\"$run/kept\":{\"files\":$kept,\"idle_cpu_empty_pct\":$empty,\"idle_cpu_kept_pct\":$full,\"new_file_latency_s\":$latency}"
done

# --- targets (issue 29) ---------------------------------------------------------------------------
echo; echo "targets:"
target() { # description ok(0/1) value
  printf '  %-62s %-22s %s\n' "$1" "$3" "$([ "$2" = 1 ] && echo met || echo 'NOT met')"
}
at_least() { [ "$(echo "$1 >= $2" | bc)" = 1 ] && echo 1 || echo 0; }
for runner in $runners; do
  run=$(echo "${runner%Runner}" | tr '[:upper:]' '[:lower:]')
  rate() { echo "${result[$run/$1]}" | cut -d' ' -f2; }
  if [ "$run" = spark ]; then
    if [ -n "${peer[backfill]:-}" ]; then
      r=$(echo "scale=2; $(rate backfill) / $(echo "${peer[backfill]}" | cut -d' ' -f2)" | bc)
      target "spark backfill at least 1.2x the plain Spark peer" "$(at_least "$r" 1.2)" "${r}x"
    fi
    r=$(pct "$(rate backfill)" "${floor_rate[backfill]}")
    target "spark backfill at least 80% of its floor" "$(at_least "$r" 80)" "$r%"
    r=$(pct "$(rate main)" "${floor_rate[main]}")
    target "spark main (events within the hour) at least 90% of its floor" "$(at_least "$r" 90)" "$r%"
    r=$(pct "$(rate bigtable)" "$(rate main)")
    target "spark into a $big_rows-row table at least 80% of main" "$(at_least "$r" 80)" "$r%"
  fi
  read -r empty full latency <<<"${result[$run/kept]}"
  target "$run idle CPU with $kept files kept at most 2x an empty folder's" \
    "$(at_least "$(( 2 * (empty > 1 ? empty : 1) ))" "$full")" "$full% against $empty%"
  target "$run a new file among them stored within 1 s" "$(at_least 1 "$latency")" "${latency}s"
  read -r _ _ _ _ _ _ _ _ p50 p99 <<<"${result[$run/ops]}"
  if [ "$run" = spark ]; then
    target "spark steady stream p50 at most 0.5 s" "$(at_least 0.5 "$p50")" "${p50}s"
    target "spark steady stream p99 at most 1.5 s" "$(at_least 1.5 "$p99")" "${p99}s"
  else
    target "$run steady stream p50 at most 0.1 s" "$(at_least 0.1 "$p50")" "${p50}s"
  fi
done
echo "{\"date\":\"$(date -u +%FT%TZ)\",\"cores\":$(nproc),\"quick\":${quick:-0},\"options\":\"$extra\",\"commit\":\"$(git rev-parse --short HEAD)\",\"big_table_rows\":$big_rows$json}" >> bench/results/runs.jsonl
psql -q "$server" -c "DROP DATABASE shopstream_bench_prefilled WITH (FORCE)"
