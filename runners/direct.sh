#!/usr/bin/env bash
# The pipeline on Beam's DirectRunner. Arguments are pipeline options, e.g. --jdbcUrl=...
source "$(dirname "$0")/common.sh"
run_pipeline --runner=DirectRunner "$@"
