#!/usr/bin/env bash
# The pipeline on Beam's DirectRunner. Arguments are pipeline options, e.g. --jdbcUrl=...
# The DirectRunner's test-time checks (immutability, encodability) are off unless you pass them:
# they cost about three quarters of its throughput (see bench/results/).
source "$(dirname "$0")/common.sh"
defaults=()
[[ " $* " == *" --enforceImmutability="* ]] || defaults+=("--enforceImmutability=false")
[[ " $* " == *" --enforceEncodability="* ]] || defaults+=("--enforceEncodability=false")
run_pipeline --runner=DirectRunner "${defaults[@]}" "$@"
