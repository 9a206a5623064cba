package io.shopstream.pipeline;

import io.shopstream.pipeline.core.watch.Watcher;
import java.util.Arrays;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.runners.spark.SparkRunner;
import org.apache.beam.sdk.options.ExperimentalOptions;

/** What differs between runners, decided once, here, from the options. */
final class RunnerSettings {

  static final long SPARK_BATCH_INTERVAL_MILLIS = 1000;
  static final double SPARK_READ_TIME_PERCENTAGE = 0.7;

  /**
   * The longest an idle watcher waits for a landing on the DirectRunner, which asks an idle source
   * again at once (its workers spun at a core and more without a wait).
   */
  private static final long DIRECT_IDLE_WAIT_MILLIS = 500;

  /** The longest an idle watcher waits for a landing within a Spark micro-batch's read. */
  private static final long SPARK_IDLE_WAIT_MILLIS = 250;

  private RunnerSettings() {}

  /**
   * Spark's settings, each kept when given on the command line. Batches are 1 s apart: a file
   * landing after a batch's read waits for the next batch, which on a steady stream is nearly every
   * file (each read finds the file landed since the last one, and ends); longer batches cost less
   * CPU while idle (Spark sets up its jobs, cleans their closures and writes its checkpoint whether
   * a file landed or not; docs/decisions.md). A batch's read waits for landings for 70% of the
   * batch and ends with the first listing that finds something (one record: on Spark a listing is
   * one element). Inert on the DirectRunner.
   */
  static void applySparkDefaults(SparkPipelineOptions spark, String... args) {
    if (!given(args, "batchIntervalMillis")) {
      spark.setBatchIntervalMillis(SPARK_BATCH_INTERVAL_MILLIS);
    }
    if (!given(args, "readTimePercentage")) {
      spark.setReadTimePercentage(SPARK_READ_TIME_PERCENTAGE);
    }
    if (!given(args, "maxRecordsPerBatch")) {
      spark.setMaxRecordsPerBatch(1L);
    }
  }

  /**
   * The DirectRunner reads the folder with its primitive unbounded read, not the splittable DoFn it
   * wraps unbounded sources in by default: after a workload, the wrapper's leftover timers kept the
   * runner's scheduler busy at a third of a core with nothing landing (docs/decisions.md). Inert on
   * Spark, which reads unbounded sources its own way.
   */
  static void applyDirectDefaults(ShopstreamOptions options) {
    if (options.getRunner() == DirectRunner.class) {
      ExperimentalOptions.addExperiment(
          options.as(ExperimentalOptions.class), DEPRECATED_READ_EXPERIMENT);
    }
  }

  static final String DEPRECATED_READ_EXPERIMENT = "use_deprecated_read";

  private static boolean given(String[] args, String option) {
    return Arrays.stream(args).anyMatch(arg -> arg.startsWith("--" + option + "="));
  }

  /**
   * How the watcher paces itself: on Spark in micro-batches, waiting within a batch's read; on the
   * DirectRunner version by version, waiting between calls.
   */
  static Watcher.Settings watch(ShopstreamOptions options) {
    boolean spark = options.getRunner() == SparkRunner.class;
    return new Watcher.Settings(
        Math.round(options.getPollIntervalSeconds() * 1000),
        options.getInFlightTimeoutSeconds() * 1000L,
        spark
            ? sparkIdleWaitMillis(options.as(SparkPipelineOptions.class))
            : DIRECT_IDLE_WAIT_MILLIS,
        spark);
  }

  /**
   * How long an idle watcher waits for a landing in a Spark micro-batch's read, which calls it
   * again and again until the read time is up, sleeping longer and longer in between (up to half a
   * second): waiting here, it hands a landed file on at once. A quarter of the time the read leaves
   * of the batch at most, so that a read held up by the wait still ends before the next batch.
   */
  static long sparkIdleWaitMillis(SparkPipelineOptions spark) {
    long batch = spark.getBatchIntervalMillis();
    // The read time as Beam's SourceDStream bounds it (its method is private).
    long read =
        Math.max(Math.round(batch * spark.getReadTimePercentage()), spark.getMinReadTimeMillis());
    return Math.max(0, Math.min(SPARK_IDLE_WAIT_MILLIS, (batch - read) / 4));
  }
}
