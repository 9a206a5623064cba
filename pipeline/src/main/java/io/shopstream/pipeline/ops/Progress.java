package io.shopstream.pipeline.ops;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** Prints the pipeline's counters on the console at a fixed interval (SPEC.md section 8). */
public final class Progress implements AutoCloseable {

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "shopstream-progress");
            thread.setDaemon(true);
            return thread;
          });

  public Progress(PipelineResult result, int intervalSeconds, PrintStream console) {
    timer.scheduleAtFixedRate(
        () -> console.println(line(snapshot(result))),
        intervalSeconds,
        intervalSeconds,
        TimeUnit.SECONDS);
  }

  /** The current value of every shopstream counter and gauge, by name; attempted values. */
  public static Map<String, Long> snapshot(PipelineResult result) {
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

  static String line(Map<String, Long> m) {
    return String.format(
        "shopstream: files %d, lines %d, stored %d, duplicates %d, errors %d, skipped %d,"
            + " lag %.1f s",
        m.getOrDefault(Metrics.FILES, 0L),
        m.getOrDefault(Metrics.LINES, 0L),
        m.getOrDefault(Metrics.STORED, 0L),
        m.getOrDefault(Metrics.DUPLICATES, 0L),
        m.getOrDefault(Metrics.ERRORS, 0L),
        m.getOrDefault(Metrics.SKIPPED, 0L),
        m.getOrDefault(Metrics.LAG_MILLIS, 0L) / 1000.0);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
