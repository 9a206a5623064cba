package io.shopstream.pipeline.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.FreshDatabase;
import io.shopstream.pipeline.TcpProxy;
import io.shopstream.pipeline.TestDatabase;
import io.shopstream.pipeline.beam.Metrics;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The progress line and {@code /metrics} count what the ledger committed since the run started,
 * whatever the runner has reported (here: nothing), and keep their last figures while the ledger
 * does not answer.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RunTotalsTest {

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  /** A finished pipeline that reported no shopstream metric. */
  private static PipelineResult nothingReported() {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    pipeline.apply(Create.of(1));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    return result;
  }

  private static void commit(JdbcConfig database, String path, String committedAt)
      throws Exception {
    TestDatabase.execute(
        database,
        "INSERT INTO ingested_files (path, size, modified_at, found_at, committed_at, lines,"
            + " stored, duplicates, skipped, errors, errors_by_reason, read_by) VALUES ('"
            + path
            + "', 10, now(), now(), "
            + committedAt
            + ", 10, 5, 1, 1, 3, '{\"BAD_PRICE\": 2, \"FIELD_COUNT\": 1}', 'test')");
  }

  @Test
  void theRunsCommittedFilesComeFromTheLedger() throws Exception {
    JdbcConfig database = fresh.config();
    commit(database, "/in/before.csv", "now() - interval '1 hour'");
    commit(database, "/in/a.csv", "now()");
    commit(database, "/in/b.csv", "now()");
    PipelineResult result = nothingReported();
    RunTotals totals = new RunTotals(result, database, Instant.now().minus(1, ChronoUnit.MINUTES));

    Map<String, Long> snapshot = totals.snapshot();
    assertNull(totals.ledgerProblem());
    assertEquals(2L, snapshot.get(Metrics.FILES));
    assertEquals(20L, snapshot.get(Metrics.LINES));
    assertEquals(10L, snapshot.get(Metrics.STORED));
    assertEquals(2L, snapshot.get(Metrics.DUPLICATES));
    assertEquals(2L, snapshot.get(Metrics.SKIPPED));
    assertEquals(6L, snapshot.get(Metrics.ERRORS));
    assertEquals(4L, snapshot.get(Metrics.ERRORS + "_BAD_PRICE"));
    assertEquals(
        "shopstream: files 2, lines 20, stored 10, duplicates 2, errors 6, skipped 2, lag 0.0 s",
        Progress.line(snapshot, null));
  }

  @Test
  void whileTheLedgerDoesNotAnswerItsLastFiguresAreShownAndSaidToBe() throws Exception {
    JdbcConfig database = fresh.config();
    commit(database, "/in/a.csv", "now()");
    URI server = URI.create(database.url().substring("jdbc:".length()));
    try (TcpProxy proxy = new TcpProxy(server.getHost(), server.getPort())) {
      JdbcConfig viaProxy =
          new JdbcConfig(
              database.url().replace(":" + server.getPort() + "/", ":" + proxy.port() + "/"),
              null,
              null);
      RunTotals totals =
          new RunTotals(nothingReported(), viaProxy, Instant.now().minus(1, ChronoUnit.MINUTES));
      assertEquals(1L, totals.snapshot().get(Metrics.FILES));
      proxy.cut();
      assertEquals(1L, totals.snapshot().get(Metrics.FILES), "the last figures");
      assertTrue(totals.ledgerProblem() != null);
      assertTrue(
          Progress.line(totals.snapshot(), totals.ledgerProblem())
              .contains("as of the last ledger read"));
    }
  }
}
