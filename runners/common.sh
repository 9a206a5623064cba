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

# Compiles once if needed, then runs the pipeline with the given Beam options.
run_pipeline() {
  require_java17
  if [ ! -d pipeline/target/classes/io ]; then
    echo "+ mvn -q -DskipTests install"
    mvn -q -DskipTests install
  fi
  # The pipeline runs in Maven's JVM. Its heap is fixed and touched once at start: grown on
  # demand, fresh pages were zeroed by the kernel in the middle of a burst of files, a sixth of
  # the CPU of reading them in the benchmark. SHOPSTREAM_HEAP sets the size; MAVEN_OPTS wins.
  local heap="${SHOPSTREAM_HEAP:-4g}"
  export MAVEN_OPTS="-Xms$heap -Xmx$heap -XX:+AlwaysPreTouch ${MAVEN_OPTS:-}"
  echo "+ MAVEN_OPTS=\"$MAVEN_OPTS\" mvn -q -pl pipeline exec:java -Dexec.args=\"$*\""
  exec mvn -q -pl pipeline exec:java -Dexec.args="$*"
}
