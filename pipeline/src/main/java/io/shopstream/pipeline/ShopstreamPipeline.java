package io.shopstream.pipeline;

import io.shopstream.pipeline.disk.Durable;
import io.shopstream.pipeline.ops.Progress;
import io.shopstream.pipeline.ops.RunTotals;
import io.shopstream.pipeline.ops.StatusReport;
import io.shopstream.pipeline.ops.StatusServer;
import io.shopstream.pipeline.store.EmbeddedDatabase;
import io.shopstream.pipeline.store.IngestFiles;
import io.shopstream.pipeline.store.JdbcConfig;
import io.shopstream.pipeline.watch.ProcessedFiles;
import io.shopstream.pipeline.watch.WatchFolder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.runners.spark.SparkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.spark.streaming.StreamingContext;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * shopstream: watch a folder of CSV files and ingest each file version exactly once: validate every
 * line, store the events in PostgreSQL de-duplicated by event id, count them into one-minute
 * event-time windows, write the rejected lines as JSON Lines, and commit the version's ledger row
 * with it all.
 *
 * <pre>
 * WatchInputDir (versions not in the ledger) -> IngestFiles (one transaction per version)
 * </pre>
 */
public final class ShopstreamPipeline {

  private static final Logger LOG = LoggerFactory.getLogger(ShopstreamPipeline.class);
  static final String PASSWORD_ENV = "SHOPSTREAM_JDBC_PASSWORD";
  static final long SPARK_BATCH_INTERVAL_MILLIS = 2000;
  static final double SPARK_READ_TIME_PERCENTAGE = 0.7;
  private static final long STOP_TIMEOUT_MILLIS = 10_000;

  private ShopstreamPipeline() {}

  public static void main(String[] args) throws Exception {
    ShopstreamOptions options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("shopstream: " + e.getMessage().lines().findFirst().orElse(""));
      System.exit(2);
      return;
    }
    if (Arrays.stream(args).anyMatch(arg -> arg.startsWith("--jdbcPassword"))) {
      System.err.println(
          "shopstream: warning: --jdbcPassword on the command line is visible to every user of"
              + " this machine (ps); set "
              + PASSWORD_ENV
              + " instead");
    }
    EmbeddedPostgres embedded = null;
    if (options.getJdbcUrl() == null) {
      try {
        embedded =
            EmbeddedDatabase.start(Path.of("data", "postgres"), options.getEmbeddedPostgresPort());
      } catch (EmbeddedDatabase.UnavailableException e) {
        System.err.println("shopstream: " + e.getMessage());
        System.exit(2);
        return;
      }
      options.setJdbcUrl(EmbeddedDatabase.jdbcUrl(embedded));
      System.out.println(
          "shopstream: embedded PostgreSQL at "
              + options.getJdbcUrl()
              + " (data in data/postgres)");
    }
    Instant started = Instant.now();
    PipelineResult result = run(options);
    // On Ctrl-C the JVM stops the runner (Spark stops its streaming context in its own hook;
    // cancelling here as well deadlocks with it). Each file version is one transaction, so one
    // cut short is rolled back by PostgreSQL, never half-stored, and read again on restart.
    EmbeddedPostgres database = embedded;
    boolean spark = options.getRunner() == SparkRunner.class;
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
                  closeQuietly(database);
                  if (!stopped) {
                    System.out.println(
                        "shopstream: Spark did not stop within "
                            + STOP_TIMEOUT_MILLIS / 1000
                            + " s; exiting now (what was not committed is read again at the"
                            + " next start)");
                    Runtime.getRuntime().halt(1);
                  }
                }));
    RunTotals totals = new RunTotals(result, JdbcConfig.of(options), started);
    try (Progress progress =
            new Progress(totals, options.getProgressIntervalSeconds(), System.out);
        StatusServer status = startStatusServer(options, result, totals)) {
      result.waitUntilFinish();
    }
  }

  /** The status server, or null when it is off or its port is taken (the pipeline runs on). */
  private static StatusServer startStatusServer(
      ShopstreamOptions options, PipelineResult result, RunTotals totals) {
    if (options.getStatusPort() == 0) {
      return null;
    }
    StatusReport report =
        new StatusReport(result, totals, JdbcConfig.of(options), options.getInputDir());
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
   * That hook can hang for good when the stop meets a micro-batch being scheduled: the job
   * generator waits, holding the graph's lock, on a read job whose tasks the stopping executor
   * rejects (and Hadoop's hook manager then waits 30 s per hook).
   */
  private static boolean awaitSparkStopped(long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (StreamingContext.getActive().isDefined()) {
      if (System.currentTimeMillis() > deadline) {
        return false;
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

  /** Parses and validates the options; an {@link IllegalArgumentException} names the problem. */
  public static ShopstreamOptions parse(String... args) {
    PipelineOptionsFactory.register(ShopstreamOptions.class);
    ShopstreamOptions options;
    try {
      options = PipelineOptionsFactory.fromArgs(args).withValidation().as(ShopstreamOptions.class);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(culprit(args) + e.getMessage(), e);
    }
    positive("--pollIntervalSeconds", options.getPollIntervalSeconds());
    positive("--inFlightTimeoutSeconds", options.getInFlightTimeoutSeconds());
    positive("--progressIntervalSeconds", options.getProgressIntervalSeconds());
    if (options.getStatusPort() < 0 || options.getStatusPort() > 65535) {
      throw new IllegalArgumentException(
          "--statusPort must be a port number (0 turns the server off), got "
              + options.getStatusPort());
    }
    options.setInputDir(localFolder("--inputDir", options.getInputDir()));
    options.setErrorDir(localFolder("--errorDir", options.getErrorDir()));
    ProcessedFiles.Action action = options.getProcessedAction();
    if (action != ProcessedFiles.Action.keep && options.getInputDir().contains("://")) {
      throw new IllegalArgumentException(
          "--processedAction="
              + action
              + " needs a local --inputDir, got "
              + options.getInputDir());
    }
    if (action == ProcessedFiles.Action.archive) {
      options.setArchiveDir(archiveFolder(options.getArchiveDir(), options.getInputDir()));
    }
    if (options.getJdbcUrl() != null && !options.getJdbcUrl().startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "--jdbcUrl must start with jdbc:postgresql:, got " + options.getJdbcUrl());
    }
    if (options.getJdbcPassword() == null) {
      options.setJdbcPassword(System.getenv(PASSWORD_ENV));
    }
    if (options.getS3PathStyleAccess()) {
      options.as(S3Options.class).setS3ClientFactoryClass(PathStyleS3Clients.class);
    }
    options.setStreaming(true);
    // Every Spark micro-batch costs CPU whether a file landed or not (Spark sets up its jobs,
    // cleans their closures, writes its checkpoint): at Beam's 500 ms an idle pipeline used more
    // than a core, at 1 s 10-15%. So batches are 2 s apart, and a file is not kept waiting for the
    // next one: a batch's read waits for landings for 70% of the batch and ends with the first
    // listing that finds something (one record: on Spark a listing is one element).
    SparkPipelineOptions spark = options.as(SparkPipelineOptions.class);
    if (!given(args, "batchIntervalMillis")) {
      spark.setBatchIntervalMillis(SPARK_BATCH_INTERVAL_MILLIS);
    }
    if (!given(args, "readTimePercentage")) {
      spark.setReadTimePercentage(SPARK_READ_TIME_PERCENTAGE);
    }
    if (!given(args, "maxRecordsPerBatch")) {
      spark.setMaxRecordsPerBatch(1L);
    }
    // run() returns a running pipeline on every runner; main and the tests wait on the result.
    options.as(DirectOptions.class).setBlockOnRun(false);
    return options;
  }

  private static boolean given(String[] args, String option) {
    return Arrays.stream(args).anyMatch(arg -> arg.startsWith("--" + option + "="));
  }

  /** Beam's messages do not always name the argument they failed on; find it. */
  private static String culprit(String... args) {
    for (String arg : args) {
      try {
        PipelineOptionsFactory.fromArgs(arg).as(ShopstreamOptions.class);
      } catch (IllegalArgumentException e) {
        return arg + ": ";
      }
    }
    return "";
  }

  private static void positive(String option, double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException(
          option
              + " must be a positive number, got "
              + BigDecimal.valueOf(value).stripTrailingZeros().toPlainString());
    }
  }

  /** A local folder must exist and becomes absolute; other file systems' paths are kept as is. */
  private static String localFolder(String option, String folder) {
    if (folder.contains("://")) {
      return folder;
    }
    Path path = Path.of(folder).toAbsolutePath().normalize();
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(option + ": " + path + " is not a folder");
    }
    return path.toString();
  }

  /** The archive folder, created if missing; it must not be the input folder. */
  private static String archiveFolder(String folder, String inputDir) {
    Path path = Path.of(folder).toAbsolutePath().normalize();
    if (path.equals(Path.of(inputDir))) {
      throw new IllegalArgumentException("--archiveDir must not be the --inputDir, got " + path);
    }
    try {
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new IllegalArgumentException("--archiveDir: cannot create " + path + " (" + e + ")");
    }
    return path.toString();
  }

  /** Applies the schema, builds the pipeline and starts it. */
  public static PipelineResult run(ShopstreamOptions options) throws SQLException, IOException {
    JdbcConfig database = JdbcConfig.of(options);
    database.applySchema();
    finishWorkCutShort(options, database);
    if (options.getRunner() == SparkRunner.class) {
      SparkPipelineOptions spark = options.as(SparkPipelineOptions.class);
      spark.setCheckpointDir(SparkCheckpoints.freshRun(spark.getCheckpointDir()));
      SparkCheckpoints.useLocalFileSystem();
    }
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, options, database);
    LOG.info(
        "Watching {} for *.csv, storing into {}, errors into {}",
        options.getInputDir(),
        database,
        options.getErrorDir());
    return pipeline.run();
  }

  /**
   * What a crash may have cut short in local folders: a committed file half removed from the input
   * folder, a half-made archive copy, error files never published (their versions were not
   * committed and are read again).
   */
  private static void finishWorkCutShort(ShopstreamOptions options, JdbcConfig database)
      throws SQLException, IOException {
    if (!options.getInputDir().contains("://")) {
      try (Connection ledger = database.connect()) {
        processedFiles(options).recover(Path.of(options.getInputDir()), ledger);
      }
    }
    if (!options.getErrorDir().contains("://")) {
      Durable.removeHidden(Path.of(options.getErrorDir()), ".tmp");
    }
  }

  private static ProcessedFiles processedFiles(ShopstreamOptions options) {
    return new ProcessedFiles(options.getProcessedAction(), options.getArchiveDir());
  }

  static void build(Pipeline pipeline, ShopstreamOptions options, JdbcConfig database) {
    ProcessedFiles processed = processedFiles(options);
    pipeline
        .apply(
            "WatchInputDir",
            new WatchFolder(
                options.getInputDir(),
                database,
                Duration.millis(Math.round(options.getPollIntervalSeconds() * 1000)),
                Duration.standardSeconds(options.getInFlightTimeoutSeconds()),
                processed))
        .apply("IngestFiles", new IngestFiles(database, options.getErrorDir(), processed));
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
