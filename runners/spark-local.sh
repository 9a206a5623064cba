#!/usr/bin/env bash
# The pipeline on the SparkRunner with an in-process Spark (local[2]), checkpointing into
# data/checkpoint so a restart resumes where it stopped. Arguments are pipeline options.
source "$(dirname "$0")/common.sh"
defaults=()
[[ " $* " == *" --sparkMaster="* ]] || defaults+=("--sparkMaster=local[2]")
[[ " $* " == *" --checkpointDir="* ]] || defaults+=("--checkpointDir=$ROOT/data/checkpoint")
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
run_pipeline --runner=SparkRunner "${defaults[@]}" "$@"
