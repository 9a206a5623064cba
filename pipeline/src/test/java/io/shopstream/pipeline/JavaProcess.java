package io.shopstream.pipeline;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Another JVM for the integration tests: a Spark master or worker, spark-submit, or the pipeline
 * from its bundled jar. Output goes to a log file; {@link #close()} kills it.
 */
final class JavaProcess implements AutoCloseable {

  static final Path SPARK_HOME = Path.of(System.getProperty("shopstream.sparkHome"));
  static final Path BUNDLED_JAR = Path.of(System.getProperty("shopstream.bundledJar"));
  static final String SPARK_JARS = SPARK_HOME.resolve("jars") + File.separator + "*";

  /** The bundled jar plus Spark's own jars, as on a cluster node. */
  static final String BUNDLED_CLASSPATH = BUNDLED_JAR + File.pathSeparator + SPARK_JARS;

  final Process process;
  final Path log;

  private JavaProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code java <add-opens> -cp <classpath> <mainClass> <args>} with Spark on loopback. */
  static JavaProcess start(Path log, String classpath, String mainClass, List<String> args)
      throws IOException {
    return start(log, List.of(), Map.of(), classpath, mainClass, args);
  }

  private static JavaProcess start(
      Path log,
      List<String> jvmOptions,
      Map<String, String> env,
      String classpath,
      String mainClass,
      List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Collections.addAll(command, System.getProperty("shopstream.addOpens").split("\\s+"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-Xmx1g", "-cp", classpath, mainClass));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("SPARK_HOME", SPARK_HOME.toString());
    builder.environment().put("SPARK_SCALA_VERSION", "2.12");
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().putAll(env);
    return new JavaProcess(builder.start(), log);
  }

  /** The pipeline from the bundled jar, as on a cluster node: the jar plus Spark's own jars. */
  static JavaProcess pipeline(Path log, List<String> args) throws IOException {
    return pipeline(log, List.of(), Map.of(), args);
  }

  /** The same, with JVM options (Spark's settings as {@code -Dspark.*}) and environment. */
  static JavaProcess pipeline(
      Path log, List<String> jvmOptions, Map<String, String> env, List<String> args)
      throws IOException {
    return start(log, jvmOptions, env, BUNDLED_CLASSPATH, ShopstreamPipeline.class.getName(), args);
  }

  /** SIGKILL: no shutdown hook, no clean-up, as in a crash. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
