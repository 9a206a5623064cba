#!/usr/bin/env bash
# Error replay: the raw lines of the error records chosen go into new input files in --inputDir,
# where the running pipeline validates them again. Filters: --reason=DB_REJECTED,BAD_PRICE
# --file=<part of an input file name> --since=/--until=<ISO-8601 instant>. Also takes the
# pipeline's --inputDir, --errorDir and --jdbcUrl (required: the pipeline's database).
source "$(dirname "$0")/common.sh"
MAIN_CLASS=io.shopstream.pipeline.ReplayErrors run_pipeline "$@"
