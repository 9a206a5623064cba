#!/usr/bin/env bash
# The whole system on one machine: the generator writes events into data/raw (with a few
# invalid lines and duplicates) and the pipeline stores them, on SparkRunner local[2].
# Without --jdbcUrl an embedded PostgreSQL keeps its data in data/postgres. Ctrl-C stops both.
# Arguments are pipeline options, e.g. --jdbcUrl=jdbc:postgresql://127.0.0.1:5432/postgres
source "$(dirname "$0")/common.sh"
require_java17
echo "+ mvn -q -DskipTests install"
mvn -q -DskipTests install
generator_args="--rate 20 --invalidRate 0.01 --duplicateRate 0.02"
echo "+ mvn -q -pl generator exec:java -Dexec.args=\"$generator_args\" &"
mvn -q -pl generator exec:java -Dexec.args="$generator_args" &
generator=$!
trap 'kill -TERM $generator 2>/dev/null; wait $generator' EXIT
"$ROOT/runners/spark-local.sh" "$@"
