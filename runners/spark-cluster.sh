#!/usr/bin/env bash
# A Spark standalone cluster on this machine (one master, one worker) from the Spark jars Maven
# assembled in runners/spark-home, for trying runners/spark-submit.sh without a Spark download.
#   runners/spark-cluster.sh start   # master spark://127.0.0.1:7077, web UI http://127.0.0.1:8080
#   runners/spark-cluster.sh stop
# Logs and pids in data/spark/.
source "$(dirname "$0")/common.sh"
state="$ROOT/data/spark"
spark_home="$ROOT/runners/spark-home/target/spark-home"
case "${1:-}" in
  start)
    require_java17
    if [ ! -d "$spark_home/jars" ]; then
      echo "+ mvn -q -DskipTests package"
      mvn -q -DskipTests package
    fi
    mkdir -p "$state"
    export SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1
    echo "+ java -cp '$spark_home/jars/*' org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077"
    java -cp "$spark_home/jars/*" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port 7077 --webui-port 8080 >"$state/master.log" 2>&1 &
    echo $! >"$state/master.pid"
    echo "+ java -cp '$spark_home/jars/*' org.apache.spark.deploy.worker.Worker spark://127.0.0.1:7077"
    java -cp "$spark_home/jars/*" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
      --cores "$(nproc)" --memory 2g --work-dir "$state/work" spark://127.0.0.1:7077 \
      >"$state/worker.log" 2>&1 &
    echo $! >"$state/worker.pid"
    echo "Spark master spark://127.0.0.1:7077 (web UI http://127.0.0.1:8080); logs in $state"
    ;;
  stop)
    for role in worker master; do
      if [ -f "$state/$role.pid" ]; then
        kill "$(cat "$state/$role.pid")" 2>/dev/null || true
        rm -f "$state/$role.pid"
      fi
    done
    echo "Spark cluster stopped"
    ;;
  *)
    echo "spark-cluster.sh: usage: runners/spark-cluster.sh start|stop" >&2
    exit 2
    ;;
esac
