#!/usr/bin/env bash
# Validate before landing: reads input files (.csv, .jsonl, either gzipped) with exactly the
# pipeline's rules and prints per file its lines, events, duplicates within the file, skipped
# lines, errors by reason and the first error records. Writes nothing, needs no database.
# Options: --json, --limit=N (error records shown, default 10), --extraColumns=rescue|ignore|reject.
# Exit 0: every line valid; 1: some are not; 2: a usage error.
args=()
for arg in "$@"; do # files are named from where the script is called, not from the project
  if [[ "$arg" == -* ]]; then args+=("$arg"); else args+=("$(realpath -m -- "$arg")"); fi
done
source "$(dirname "$0")/common.sh"
MAIN_CLASS=io.shopstream.pipeline.Validate run_pipeline "${args[@]}"
