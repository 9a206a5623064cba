package io.shopstream.pipeline.ops;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.shopstream.pipeline.beam.Metrics;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * {@code /metrics}: this run's Beam counters (the progress line's numbers) and the files by state,
 * in the Prometheus text format.
 */
final class PrometheusMetrics {

  static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private PrometheusMetrics() {}

  /** {@code files} is null when PostgreSQL did not answer. */
  static void write(OutputStream out, Map<String, Long> run, StatusReport.Files files)
      throws IOException {
    MetricSnapshots.Builder metrics = MetricSnapshots.builder();
    counter(metrics, run, Metrics.FILES, "files_committed", "File versions committed by this run.");
    counter(metrics, run, Metrics.LINES, "lines", "Lines read in committed file versions.");
    counter(metrics, run, Metrics.STORED, "stored", "Events stored.");
    counter(metrics, run, Metrics.DUPLICATES, "duplicates", "Lines whose event_id was stored.");
    counter(metrics, run, Metrics.SKIPPED, "skipped", "Header and blank lines.");
    counter(metrics, run, Metrics.BYTES_READ, "read_bytes", "Bytes of committed file versions.");
    counter(
        metrics,
        run,
        Metrics.DATABASE_RETRIES,
        "database_retries",
        "Ingest attempts retried after a database or read failure.");
    CounterSnapshot.Builder errors =
        CounterSnapshot.builder().name("shopstream_errors").help("Error records, by reason.");
    for (Reason reason : Reason.values()) {
      errors.dataPoint(
          CounterDataPointSnapshot.builder()
              .labels(Labels.of("reason", reason.name()))
              .value(run.getOrDefault(Metrics.ERRORS + "_" + reason.name(), 0L))
              .build());
    }
    metrics.metricSnapshot(errors.build());
    metrics.metricSnapshot(
        GaugeSnapshot.builder()
            .name("shopstream_database_up")
            .help("1 if PostgreSQL answered this scrape's ledger queries, 0 if not.")
            .dataPoint(GaugeDataPointSnapshot.builder().value(files == null ? 0 : 1).build())
            .build());
    if (files != null) {
      files(metrics, files);
    }
    metrics.metricSnapshot(
        GaugeSnapshot.builder()
            .name("shopstream_lag_seconds")
            .unit(Unit.SECONDS)
            .help("From finding the newest committed file to its commit.")
            .dataPoint(
                GaugeDataPointSnapshot.builder()
                    .value(run.getOrDefault(Metrics.LAG_MILLIS, 0L) / 1000.0)
                    .build())
            .build());
    histogram(
        metrics,
        run,
        Metrics.WRITE_MILLIS,
        "shopstream_write_seconds",
        "Reading, staging and inserting a group of file versions, per transaction.");
    histogram(
        metrics,
        run,
        Metrics.COMMIT_MILLIS,
        "shopstream_commit_seconds",
        "Committing a transaction.");
    PrometheusTextFormatWriter.create().write(out, metrics.build(), EscapingScheme.DEFAULT);
  }

  private static void counter(
      MetricSnapshots.Builder metrics,
      Map<String, Long> run,
      String beam,
      String name,
      String help) {
    metrics.metricSnapshot(
        CounterSnapshot.builder()
            .name("shopstream_" + name)
            .help(help)
            .dataPoint(CounterDataPointSnapshot.builder().value(run.getOrDefault(beam, 0L)).build())
            .build());
  }

  /** Files by state, and the in-flight ones alone; absent when the database did not answer. */
  private static void files(MetricSnapshots.Builder metrics, StatusReport.Files files) {
    GaugeSnapshot.Builder byState =
        GaugeSnapshot.builder()
            .name("shopstream_files")
            .help(
                "Files by state: found in the folder, in flight (found, not committed),"
                    + " committed (the ledger), committed with error records.");
    state(byState, "found", files.found());
    state(byState, "in_flight", files.inFlight());
    state(byState, "committed", files.committed());
    state(byState, "with_errors", files.withErrors());
    metrics.metricSnapshot(byState.build());
    metrics.metricSnapshot(
        GaugeSnapshot.builder()
            .name("shopstream_in_flight_files")
            .help("Files in the folder not committed yet.")
            .dataPoint(GaugeDataPointSnapshot.builder().value(files.inFlight()).build())
            .build());
  }

  private static void state(GaugeSnapshot.Builder gauge, String state, long files) {
    gauge.dataPoint(
        GaugeDataPointSnapshot.builder().labels(Labels.of("state", state)).value(files).build());
  }

  /** A {@link Metrics.Latency}'s counters as a histogram in seconds. */
  private static void histogram(
      MetricSnapshots.Builder metrics,
      Map<String, Long> run,
      String beam,
      String name,
      String help) {
    long[] bounds = Metrics.Latency.BOUNDS_MILLIS;
    double[] upper = new double[bounds.length + 1];
    long[] counts = new long[bounds.length + 1];
    long count = run.getOrDefault(beam + "_count", 0L);
    long inBounds = 0;
    for (int i = 0; i < bounds.length; i++) {
      upper[i] = bounds[i] / 1000.0;
      counts[i] = run.getOrDefault(Metrics.Latency.bucket(beam, bounds[i]), 0L);
      inBounds += counts[i];
    }
    upper[bounds.length] = Double.POSITIVE_INFINITY;
    counts[bounds.length] = count - inBounds;
    metrics.metricSnapshot(
        HistogramSnapshot.builder()
            .name(name)
            .unit(Unit.SECONDS)
            .help(help)
            .dataPoint(
                HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts))
                    .sum(run.getOrDefault(beam + "_sum", 0L) / 1000.0)
                    .build())
            .build());
  }
}
