#!/usr/bin/env bash
# The pipeline on the SparkRunner with an in-process Spark (local[2]), checkpointing into
# data/checkpoint so a restart resumes where it stopped. Arguments are pipeline options.
source "$(dirname "$0")/common.sh"
defaults=()
[[ " $* " == *" --sparkMaster="* ]] || defaults+=("--sparkMaster=local[2]")
[[ " $* " == *" --checkpointDir="* ]] || defaults+=("--checkpointDir=$ROOT/data/checkpoint")
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# C1 only: C2 went on compiling Spark's per-batch code for many minutes (a third of an idle
# pipeline's CPU at minute 7), and with PostgreSQL on the same cores the parsing is not what limits
# (1M lines in 20 files: 13.2 s and 4.3 pipeline CPU seconds, against 14.5 s and 7.2 with C2).
# A later -XX:TieredStopAtLevel in JAVA_OPTS wins.
export JAVA_OPTS="-XX:TieredStopAtLevel=1${JAVA_OPTS:+ $JAVA_OPTS}"
run_pipeline --runner=SparkRunner "${defaults[@]}" "$@"
