#!/usr/bin/env bash
# Where a pipeline's CPU went: share of JFR execution samples per step, from a recording made with
#   BENCH_JFR=1 bench/run.sh ...   (bench/work/<runner>/pipeline.jfr)
# Each sample counts once, for the first step (in the order below) found on its stack.
#   bench/profile-summary.sh bench/work/spark/pipeline.jfr
set -euo pipefail
jfr print --stack-depth 256 --events jdk.ExecutionSample "$1" | awk '
  BEGIN {
    n = split("org.postgresql:PostgreSQL driver (COPY, insert, commit)|LineParser:validate lines|ErrorFile:write error files|FileLines:read files|IngestFn:other ingesting|FolderWatchSource:list the folder, ask the ledger|ClosureCleaner:Spark job set-up|Coder:encoding and decoding|org.apache.spark:other Spark|:anything else", steps, "|")
    for (i = 1; i <= n; i++) { split(steps[i], kv, ":"); key[i] = kv[1]; label[i] = kv[2] }
  }
  /^jdk.ExecutionSample/ { if (stack != "") tally(); stack = " "; next }
  /line:/ { stack = stack $1 " " }
  END { if (stack != "") tally(); for (i = 1; i <= n; i++) if (count[i]) printf "%6.1f%%  %s\n", 100 * count[i] / total, label[i] }
  function tally() { total++; for (i = 1; i <= n; i++) if (index(stack, key[i]) > 0) { count[i]++; break } }
'
