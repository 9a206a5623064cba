#!/usr/bin/env bash
# The floor (bench/run.sh: PostgreSQL alone, 2 sessions, \copy into a staging table, then a sorted
# INSERT ... ON CONFLICT DO NOTHING into user_events) done two ways: one INSERT per session for all
# its files (bench/run.sh's), or one INSERT per file (as shopstream stores a file per transaction).
# On a copy of <template> when given (a database whose user_events is already big), else empty.
#   bench/floor-statements.sh <folder of CSV files> session|file [template]
set -e
dir=$1; per=$2; template=${3:-}
server="${BENCH_PSQL:-postgresql://postgres@127.0.0.1:5432/postgres}"; db="${server%/*}/shopstream_floor"
export PGOPTIONS="-c client_min_messages=warning"
psql -q "$server" -c "DROP DATABASE IF EXISTS shopstream_floor WITH (FORCE)" \
  -c "CREATE DATABASE shopstream_floor${template:+ TEMPLATE $template}"
psql -q "$db" -f sql/schema.sql
for s in 1 2; do
  psql -q "$db" -c "CREATE UNLOGGED TABLE staging_$s (event_id text, user_id text, product_id text,
    product_name text, category text, price text, event_type text, ts text)"
done
psql -q "$db" -c CHECKPOINT
insert() { # session
  echo "INSERT INTO user_events (event_id, user_id, product_id, product_name, category, price,
    event_type, event_time, source_file, source_line) SELECT event_id, user_id, product_id,
    product_name, category, price::numeric, event_type, ts::timestamptz, 'bench', 0
    FROM staging_$1 ORDER BY event_id ON CONFLICT (event_id) DO NOTHING; TRUNCATE staging_$1;"
}
start=$(date +%s.%N)
for s in 1 2; do
  ( for f in $(ls "$dir"/*.csv | awk -v s="$s" 'NR % 2 == s % 2'); do
      echo "\\copy staging_$s FROM '$f' WITH (FORMAT csv, HEADER true)"
      [ "$per" = file ] && insert "$s"
    done
    [ "$per" = session ] && insert "$s"
  ) | psql -q "$db" &
done
wait
echo "an INSERT per $per${template:+ into a copy of $template}: $(echo "$(date +%s.%N) - $start" | bc) s," \
  "$(psql -tA "$db" -c "SELECT count(*) FROM user_events WHERE source_file = 'bench'") rows stored"
