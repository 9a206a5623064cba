package io.shopstream.pipeline;

import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.WindowFold;
import io.shopstream.pipeline.ops.Progress;
import io.shopstream.pipeline.ops.RunTotals;
import io.shopstream.pipeline.ops.StatusReport;
import io.shopstream.pipeline.ops.StatusServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.beam.runners.spark.SparkRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.spark.streaming.StreamingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline as a program on a console: an embedded PostgreSQL when no database is named, the
 * progress line, the status server and the folding of the windows while it runs, and a clean stop
 * on Ctrl-C.
 */
final class Launcher {

  private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);
  private static final long STOP_TIMEOUT_MILLIS = 10_000;
  private static final long INTERRUPT_AFTER_MILLIS = 1_000;

  /** The name Spark gives the event loop of its streaming job generator. */
  private static final String SPARK_JOB_GENERATOR_THREAD = "JobGenerator";

  private Launcher() {}

  /** Runs the pipeline until it stops; false when it could not start (said on the console). */
  static boolean launch(ShopstreamOptions options) throws Exception {
    EmbeddedPostgres embedded = null;
    if (options.getJdbcUrl() == null) {
      try {
        embedded =
            EmbeddedDatabase.start(Path.of("data", "postgres"), options.getEmbeddedPostgresPort());
      } catch (EmbeddedDatabase.UnavailableException e) {
        System.err.println("shopstream: " + e.getMessage());
        return false;
      }
      options.setJdbcUrl(EmbeddedDatabase.jdbcUrl(embedded));
      System.out.println(
          "shopstream: embedded PostgreSQL at "
              + options.getJdbcUrl()
              + " (data in data/postgres)");
    }
    Instant started = Instant.now();
    PipelineResult result = ShopstreamPipeline.run(options);
    stopCleanlyOnExit(options.getRunner() == SparkRunner.class, embedded);
    JdbcConfig database = ShopstreamPipeline.database(options);
    RunTotals totals = new RunTotals(result, database, started);
    try (WindowFold fold = WindowFold.start(database);
        Progress progress = new Progress(totals, options.getProgressIntervalSeconds(), System.out);
        StatusServer status = startStatusServer(options, result, totals, database)) {
      result.waitUntilFinish();
    }
    return true;
  }

  /**
   * On Ctrl-C the JVM stops the runner (Spark stops its streaming context in its own hook;
   * cancelling here as well deadlocks with it). A transaction cut short is rolled back by
   * PostgreSQL, never half-stored, and its versions are read again on restart.
   */
  private static void stopCleanlyOnExit(boolean spark, EmbeddedPostgres embedded) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("shopstream: stopping");
                  // Spark interrupts its job threads as it stops: no error, and no stack trace.
                  Thread.setDefaultUncaughtExceptionHandler(
                      (thread, e) -> {
                        if (!(e instanceof InterruptedException)) {
                          System.err.print("Exception in thread \"" + thread.getName() + "\" ");
                          e.printStackTrace();
                        }
                      });
                  boolean stopped = !spark || awaitSparkStopped(STOP_TIMEOUT_MILLIS);
                  closeQuietly(embedded);
                  if (!stopped) {
                    System.out.println(
                        "shopstream: Spark did not stop within "
                            + STOP_TIMEOUT_MILLIS / 1000
                            + " s; exiting now (what was not committed is read again at the"
                            + " next start)");
                    Runtime.getRuntime().halt(1);
                  }
                }));
  }

  /** The status server, or null when it is off or its port is taken (the pipeline runs on). */
  private static StatusServer startStatusServer(
      ShopstreamOptions options, PipelineResult result, RunTotals totals, JdbcConfig database) {
    if (options.getStatusPort() == 0) {
      return null;
    }
    StatusReport report = new StatusReport(result, totals, database, options.getInputDir());
    try {
      StatusServer server =
          StatusServer.start(options.getStatusHost(), options.getStatusPort(), report);
      System.out.println("shopstream: status page at " + server.address());
      return server;
    } catch (IOException e) {
      System.out.println(
          "shopstream: no status page: cannot listen on "
              + options.getStatusHost()
              + ":"
              + options.getStatusPort()
              + " ("
              + e.getMessage()
              + "); set --statusPort to a free port, or 0 to turn it off");
      return null;
    }
  }

  /**
   * Waits for Spark's own shutdown hook to stop its context; false if it has not after the timeout.
   * Under load that hook waits for the batch being ingested: it stops the job generator only once
   * it holds the graph's lock, which the generator keeps while it waits for the next batch's read,
   * and that read's tasks wait for the slots the ingest takes (a batch of 1M lines: 15 s). So when
   * the context is still running after {@link #INTERRUPT_AFTER_MILLIS}, the generator is
   * interrupted, as Spark's stop interrupts it a step later: its wait ends, the stop goes on, and
   * the ingest cut short is rolled back by PostgreSQL and read again at the next start.
   */
  private static boolean awaitSparkStopped(long timeoutMillis) {
    long started = System.currentTimeMillis();
    boolean interrupted = false;
    while (StreamingContext.getActive().isDefined()) {
      long waited = System.currentTimeMillis() - started;
      if (waited > timeoutMillis) {
        return false;
      }
      if (!interrupted && waited > INTERRUPT_AFTER_MILLIS) {
        Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().equals(SPARK_JOB_GENERATOR_THREAD))
            .forEach(Thread::interrupt);
        interrupted = true;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private static void closeQuietly(EmbeddedPostgres database) {
    if (database == null) {
      return;
    }
    try {
      database.close();
    } catch (IOException e) {
      LOG.warn("Stopping the embedded PostgreSQL failed: {}", e.toString());
    }
  }
}
