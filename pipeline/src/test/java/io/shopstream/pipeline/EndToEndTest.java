package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole pipeline, streaming, on DirectRunner and on SparkRunner local[2], against a real
 * PostgreSQL: files land while it runs, and every line must end up in exactly one place.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EndToEndTest {

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  private PipelineResult result;

  @AfterEach
  void stop() throws Exception {
    if (result != null) {
      result.cancel();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "SparkRunner"})
  void everyLandedLineIsStoredCountedOrExplained(String runner) throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    result =
        ShopstreamPipeline.run(
            ShopstreamPipeline.parse(
                "--runner=" + runner,
                "--inputDir=" + in,
                "--errorDir=" + errors,
                "--jdbcUrl=" + database.url(),
                
                "--sparkMaster=local[2]",
                "--checkpointDir=" + work.resolve("checkpoint")));

    LandingScenario.land(in, database);
    LandingScenario.assertOutcome(database, errors);
    awaitTrue(
        () -> {
          Map<String, Long> metrics = Progress.snapshot(result);
          return LandingScenario.EXPECTED_METRICS.entrySet().stream()
              .allMatch(e -> e.getValue().equals(metrics.get(e.getKey())));
        },
        "metrics account for every line: " + LandingScenario.EXPECTED_METRICS);
  }
}
