package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.watch.Watcher;
import java.nio.file.Path;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShopstreamOptionsTest {

  @TempDir Path dir;
  @TempDir Path errors;

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--bogus=1 | bogus",
        "--inFlightTimeoutSeconds=0 | --inFlightTimeoutSeconds",
        "--pollIntervalSeconds=soon | pollIntervalSeconds",
        "--pollIntervalSeconds=-1 | --pollIntervalSeconds",
        "--inputDir=/no/such/folder | --inputDir",
        "--errorDir=/no/such/folder | --errorDir",
        "--jdbcUrl=jdbc:mysql://localhost/x | --jdbcUrl",
        "--processedAction=move | processedAction",
        "--statusPort=70000 | --statusPort",
        "--statusPort=-1 | --statusPort",
        "--databaseTimeoutSeconds=0 | --databaseTimeoutSeconds",
        "--extraColumns=keep | extraColumns",
      })
  void invalidOptionsAreRefusedWithAMessageNamingTheOption(String option, String named) {
    String[] args =
        option.startsWith("--inputDir")
            ? new String[] {option, "--errorDir=" + errors}
            : option.startsWith("--errorDir")
                ? new String[] {option, "--inputDir=" + dir}
                : new String[] {option, "--inputDir=" + dir, "--errorDir=" + errors};
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ShopstreamPipeline.parse(args));
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }

  @Test
  void theErrorFolderMustNotBeTheInputFolderWhoseJsonLinesFilesAreRead() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ShopstreamPipeline.parse("--inputDir=" + dir, "--errorDir=" + dir + "/"));
    assertTrue(e.getMessage().startsWith("--errorDir must not be the --inputDir"), e.getMessage());
  }

  @Test
  void defaultsFollowTheSpec() {
    ShopstreamOptions options =
        ShopstreamPipeline.parse("--inputDir=" + dir, "--errorDir=" + errors);
    assertEquals(1.0, options.getPollIntervalSeconds());
    assertEquals(600, options.getInFlightTimeoutSeconds());
    assertEquals(ProcessedFiles.Action.keep, options.getProcessedAction());
    assertEquals(ExtraColumns.rescue, options.getExtraColumns());
    assertEquals(8088, options.getStatusPort());
    assertEquals("127.0.0.1", options.getStatusHost());
    assertEquals(dir.toString(), options.getInputDir());
    assertTrue(options.isStreaming());
    SparkPipelineOptions spark = options.as(SparkPipelineOptions.class);
    assertEquals(RunnerSettings.SPARK_BATCH_INTERVAL_MILLIS, spark.getBatchIntervalMillis());
    assertEquals(RunnerSettings.SPARK_READ_TIME_PERCENTAGE, spark.getReadTimePercentage());
    assertEquals(1L, spark.getMaxRecordsPerBatch());
  }

  @Test
  void theArchiveIsCreatedAndMustNotBeTheInputFolder() {
    ShopstreamOptions options =
        ShopstreamPipeline.parse(
            "--inputDir=" + dir,
            "--errorDir=" + errors,
            "--processedAction=archive",
            "--archiveDir=" + dir.resolve("archive/2026"));
    assertEquals(ProcessedFiles.Action.archive, options.getProcessedAction());
    assertTrue(java.nio.file.Files.isDirectory(dir.resolve("archive/2026")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ShopstreamPipeline.parse(
                    "--inputDir=" + dir,
                    "--errorDir=" + errors,
                    "--processedAction=archive",
                    "--archiveDir=" + dir));
    assertTrue(e.getMessage().startsWith("--archiveDir"), e.getMessage());
  }

  @Test
  void sparkBatchSettingsGivenAreKept() {
    SparkPipelineOptions spark =
        ShopstreamPipeline.parse(
                "--inputDir=" + dir,
                "--errorDir=" + errors,
                "--batchIntervalMillis=250",
                "--readTimePercentage=0.1",
                "--maxRecordsPerBatch=-1")
            .as(SparkPipelineOptions.class);
    assertEquals(250L, spark.getBatchIntervalMillis());
    assertEquals(0.1, spark.getReadTimePercentage());
    assertEquals(-1L, spark.getMaxRecordsPerBatch());
  }

  @Test
  void aSparkWatcherWaitsAtMostAQuarterOfWhatTheReadLeavesOfTheBatch() {
    SparkPipelineOptions spark = PipelineOptionsFactory.as(SparkPipelineOptions.class);
    spark.setBatchIntervalMillis(2000L);
    spark.setReadTimePercentage(0.7);
    assertEquals(150, RunnerSettings.sparkIdleWaitMillis(spark));
    spark.setBatchIntervalMillis(500L);
    spark.setReadTimePercentage(0.1); // the read's minimum, 200 ms
    assertEquals(75, RunnerSettings.sparkIdleWaitMillis(spark));
    spark.setBatchIntervalMillis(10_000L);
    assertEquals(250, RunnerSettings.sparkIdleWaitMillis(spark));
    spark.setReadTimePercentage(1.0);
    assertEquals(0, RunnerSettings.sparkIdleWaitMillis(spark));
  }

  @Test
  void theRunnerDecidesHowTheWatcherPacesItself() {
    Watcher.Settings direct = RunnerSettings.watch(parse("--pollIntervalSeconds=0.5"));
    assertEquals(new Watcher.Settings(500, 600_000, 500, false), direct);
    Watcher.Settings spark = RunnerSettings.watch(parse("--runner=SparkRunner"));
    assertEquals(new Watcher.Settings(1000, 600_000, 75, true), spark);
  }

  @Test
  void theDirectRunnerReadsTheFolderWithItsPrimitiveReadAndSparkAsItDoes() {
    assertTrue(
        ExperimentalOptions.hasExperiment(
            parse("--runner=DirectRunner"), RunnerSettings.DEPRECATED_READ_EXPERIMENT));
    assertFalse(
        ExperimentalOptions.hasExperiment(
            parse("--runner=SparkRunner"), RunnerSettings.DEPRECATED_READ_EXPERIMENT));
  }

  private ShopstreamOptions parse(String option) {
    return ShopstreamPipeline.parse(option, "--inputDir=" + dir, "--errorDir=" + errors);
  }
}
