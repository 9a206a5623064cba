#!/usr/bin/env bash
# Submits the bundled jar to a Spark cluster (client mode: the driver runs here).
#   runners/spark-submit.sh --master spark://HOST:7077 [pipeline options, e.g. --jdbcUrl=...]
# With SPARK_HOME set, uses $SPARK_HOME/bin/spark-submit (a Spark 3.5 distribution for Scala 2.12).
# Without it, uses Spark's own SparkSubmit from the jars Maven assembled in runners/spark-home,
# started with the JDK 17 --add-opens flags in .mvn/jvm.config (bin/spark-submit adds them itself).
# --inputDir, --errorDir and --checkpointDir must be paths every Spark node sees (shared storage).
source "$(dirname "$0")/common.sh"
if [ "${1:-}" != "--master" ] || [ -z "${2:-}" ]; then
  echo "spark-submit.sh: usage: runners/spark-submit.sh --master spark://HOST:7077 [pipeline options]" >&2
  exit 2
fi
master="$2"
shift 2
require_java17
jar=$(ls pipeline/target/shopstream-pipeline-*-bundled.jar 2>/dev/null | head -n 1 || true)
if [ -z "$jar" ] || { [ -z "${SPARK_HOME:-}" ] && [ ! -d runners/spark-home/target/spark-home/jars ]; }; then
  echo "+ mvn -q -DskipTests package"
  mvn -q -DskipTests package
  jar=$(ls pipeline/target/shopstream-pipeline-*-bundled.jar | head -n 1)
fi
if [ -n "${SPARK_HOME:-}" ]; then
  [ -x "$SPARK_HOME/bin/spark-submit" ] || { echo "spark-submit.sh: $SPARK_HOME/bin/spark-submit not found (SPARK_HOME)" >&2; exit 1; }
  submit=("$SPARK_HOME/bin/spark-submit" --driver-java-options "-Dlog4j2.configurationFile=$ROOT/runners/conf/log4j2.properties")
else
  submit=(java $(cat .mvn/jvm.config) "-Dlog4j2.configurationFile=$ROOT/runners/conf/log4j2.properties"
    -cp "runners/spark-home/target/spark-home/jars/*" org.apache.spark.deploy.SparkSubmit)
fi
command=("${submit[@]}" --master "$master" --properties-file runners/conf/spark-defaults.conf
  --class io.shopstream.pipeline.ShopstreamPipeline "$jar"
  --runner=SparkRunner --sparkMaster="$master" "$@")
echo "+ ${command[*]}"
exec "${command[@]}"
