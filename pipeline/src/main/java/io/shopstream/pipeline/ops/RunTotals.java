package io.shopstream.pipeline.ops;

import io.shopstream.pipeline.beam.Metrics;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * This run's numbers, as the progress line and {@code /metrics} show them. What was committed
 * (files, lines, stored, duplicates, skipped, errors) is read from the file ledger, which alone
 * says what was ingested: a runner reports a worker's metrics only when its bundle or task ends,
 * and one held up (by a database that stopped answering, say) would hide the files it did commit.
 * The rest (lag, bytes, retries, latencies) are the runner's Beam metrics. While the ledger does
 * not answer, its last figures are shown.
 */
public final class RunTotals {

  private static final int LEDGER_TIMEOUT_SECONDS = 5;

  private final PipelineResult result;
  private final JdbcConfig database;
  private final Ledger.Sums committed;
  private Map<String, Long> lastCommitted = Map.of();
  private String ledgerProblem;

  public RunTotals(PipelineResult result, JdbcConfig database, Instant since) {
    this.result = result;
    this.database = database;
    this.committed = new Ledger.Sums(since, settle(database));
  }

  /**
   * How long after its insert a ledger row is surely committed or gone: its transaction's last
   * statement and its commit are each bounded by the database timeout; three of them to spare.
   */
  static Duration settle(JdbcConfig database) {
    return Duration.ofSeconds(3L * database.timeoutSeconds());
  }

  /** Every shopstream counter and gauge by name; the committed counts from the ledger. */
  public synchronized Map<String, Long> snapshot() {
    Map<String, Long> values = runnerMetrics(result);
    try (Connection connection = database.connect(LEDGER_TIMEOUT_SECONDS)) {
      lastCommitted = committed(committed.now(connection));
      ledgerProblem = null;
    } catch (SQLException e) {
      ledgerProblem = e.getMessage();
    }
    values.putAll(lastCommitted);
    return values;
  }

  /** Null while the ledger answers; otherwise why its figures are old. */
  public synchronized String ledgerProblem() {
    return ledgerProblem;
  }

  private static Map<String, Long> committed(Ledger.Totals totals) {
    Ledger.Counts counts = totals.counts();
    Map<String, Long> values = new HashMap<>();
    values.put(Metrics.FILES, totals.files());
    values.put(Metrics.LINES, counts.lines());
    values.put(Metrics.STORED, counts.stored());
    values.put(Metrics.DUPLICATES, counts.duplicates());
    values.put(Metrics.SKIPPED, counts.skipped());
    values.put(Metrics.ERRORS, counts.errors());
    counts.errorsByReason().forEach((reason, n) -> values.put(Metrics.ERRORS + "_" + reason, n));
    return values;
  }

  /** The runner's value of every shopstream counter and gauge, by name; attempted values. */
  public static Map<String, Long> runnerMetrics(PipelineResult result) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(Metrics.NAMESPACE))
                    .build());
    Map<String, Long> values = new HashMap<>();
    for (MetricResult<Long> counter : metrics.getCounters()) {
      values.merge(counter.getName().getName(), counter.getAttempted(), Long::sum);
    }
    for (var gauge : metrics.getGauges()) {
      values.put(gauge.getName().getName(), gauge.getAttempted().getValue());
    }
    return values;
  }
}
