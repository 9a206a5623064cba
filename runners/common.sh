# Shared by the runners/ scripts: checks prerequisites and runs the pipeline with Maven.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$(basename "$0"): $1 is required: $2" >&2; exit 1; }
}

require_java17() {
  need java "install a JDK 17"
  need mvn "install Apache Maven 3.8 or newer"
  local version
  version=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  if [ "${version:-0}" -lt 17 ]; then
    echo "$(basename "$0"): Java 17 or newer is required (found ${version:-none})" >&2
    exit 1
  fi
}

# The pipeline's runtime classpath as Maven resolves it, written once to this file.
classpath=pipeline/target/classpath.txt
write_classpath() {
  mvn -q -pl pipeline dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/classpath.txt
  touch "$classpath" # Maven leaves an unchanged file as it was, older than the poms
}

# Compiles once if needed, then runs the pipeline (or MAIN_CLASS) with the given options in its own JVM
# (started with java, not Maven: ready seconds sooner, and no Maven beside it in memory).
run_pipeline() {
  require_java17
  if [ ! -f "$classpath" ] || [ ! -d pipeline/target/classes/io ]; then
    echo "+ mvn -q -DskipTests install" >&2
    mvn -q -DskipTests install
    write_classpath
  elif [ pom.xml -nt "$classpath" ] || [ pipeline/pom.xml -nt "$classpath" ]; then
    write_classpath # the dependencies changed
  fi
  # The pipeline holds no state and streams each file into PostgreSQL: 1 GB of heap is room to
  # spare for the benchmark's 5M-line run. SHOPSTREAM_HEAP sets it; JAVA_OPTS adds JVM options.
  # C1 only: C2 went on compiling Spark's per-batch code for many minutes (a third of an idle
  # pipeline's CPU at minute 7), and with PostgreSQL on the same cores the parsing is not what
  # limits (1M lines in 20 files, SparkRunner: 13.2 s and 4.3 pipeline CPU seconds against 14.5 s
  # and 7.2 with C2; DirectRunner: 13.1-13.4 s and 5.2-6.6 against 14.0-14.6 s and 7.7-9.5).
  # -XX:TieredStopAtLevel=4 in JAVA_OPTS brings C2 back.
  local main="${MAIN_CLASS:-io.shopstream.pipeline.ShopstreamPipeline}"
  local command=(java $(cat .mvn/jvm.config) -XX:TieredStopAtLevel=1 "-Xmx${SHOPSTREAM_HEAP:-1g}"
    ${JAVA_OPTS:-} -cp "pipeline/target/classes:$(cat "$classpath")" "$main" "$@")
  echo "+ java -XX:TieredStopAtLevel=1 -Xmx${SHOPSTREAM_HEAP:-1g} ${JAVA_OPTS:+$JAVA_OPTS }-cp pipeline/target/classes:\$(cat $classpath) $main $*" >&2
  exec "${command[@]}"
}
