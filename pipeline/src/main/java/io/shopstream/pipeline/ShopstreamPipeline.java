package io.shopstream.pipeline;

import io.shopstream.pipeline.beam.IngestFiles;
import io.shopstream.pipeline.beam.WatchFolder;
import io.shopstream.pipeline.core.files.Durable;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.runners.spark.SparkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * shopstream: watch a folder of CSV and JSON Lines files and ingest each file version exactly once:
 * validate every line, store the events in PostgreSQL de-duplicated by event id, count them into
 * one-minute event-time windows, write the rejected lines as JSON Lines, and commit the version's
 * ledger row with it all.
 *
 * <pre>
 * WatchInputDir (versions not in the ledger) -> IngestFiles (one transaction per group of versions)
 * </pre>
 */
public final class ShopstreamPipeline {

  private static final Logger LOG = LoggerFactory.getLogger(ShopstreamPipeline.class);
  static final String PASSWORD_ENV = "SHOPSTREAM_JDBC_PASSWORD";

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
    warnOfPasswordInArguments("shopstream", args);
    if (!Launcher.launch(options)) {
      System.exit(2);
    }
  }

  /** One line on the console when the password is given where {@code ps} shows it. */
  static void warnOfPasswordInArguments(String tool, String... args) {
    if (Arrays.stream(args).anyMatch(arg -> arg.startsWith("--jdbcPassword"))) {
      System.err.println(
          tool
              + ": warning: --jdbcPassword on the command line is visible to every user of"
              + " this machine (ps); set "
              + PASSWORD_ENV
              + " instead");
    }
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
    positive("--databaseTimeoutSeconds", options.getDatabaseTimeoutSeconds());
    if (options.getStatusPort() < 0 || options.getStatusPort() > 65535) {
      throw new IllegalArgumentException(
          "--statusPort must be a port number (0 turns the server off), got "
              + options.getStatusPort());
    }
    options.setInputDir(localFolder("--inputDir", options.getInputDir()));
    options.setErrorDir(localFolder("--errorDir", options.getErrorDir()));
    if (options.getErrorDir().equals(options.getInputDir())) {
      // Error files are JSON Lines, an input format: the pipeline would read its own records.
      throw new IllegalArgumentException(
          "--errorDir must not be the --inputDir, got " + options.getErrorDir());
    }
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
    RunnerSettings.applySparkDefaults(options.as(SparkPipelineOptions.class), args);
    RunnerSettings.applyDirectDefaults(options);
    // run() returns a running pipeline on every runner; main and the tests wait on the result.
    options.as(DirectOptions.class).setBlockOnRun(false);
    return options;
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

  /** The database the options name. */
  static JdbcConfig database(ShopstreamOptions options) {
    return new JdbcConfig(
        options.getJdbcUrl(),
        options.getJdbcUser(),
        options.getJdbcPassword(),
        options.getDatabaseTimeoutSeconds());
  }

  /** Applies the schema, builds the pipeline and starts it. */
  public static PipelineResult run(ShopstreamOptions options) throws SQLException, IOException {
    JdbcConfig database = database(options);
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
        "Watching {} for *.csv and *.jsonl (either gzipped), storing into {}, errors into {}",
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
        processedFiles(options)
            .recover(Path.of(options.getInputDir()), v -> Ledger.committed(ledger, v));
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
                options.getInputDir(), database, processed, RunnerSettings.watch(options)))
        .apply(
            "IngestFiles",
            new IngestFiles(database, options.getErrorDir(), processed, options.getExtraColumns()));
  }
}
