package io.shopstream.pipeline.ops;

import io.shopstream.pipeline.beam.Metrics;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Prints the run's numbers on the console at a fixed interval (docs/reference.md). */
public final class Progress implements AutoCloseable {

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "shopstream-progress");
            thread.setDaemon(true);
            return thread;
          });

  public Progress(RunTotals totals, int intervalSeconds, PrintStream console) {
    timer.scheduleAtFixedRate(
        () -> console.println(line(totals.snapshot(), totals.ledgerProblem())),
        intervalSeconds,
        intervalSeconds,
        TimeUnit.SECONDS);
  }

  static String line(Map<String, Long> m, String ledgerProblem) {
    return String.format(
        "shopstream: files %d, lines %d, stored %d, duplicates %d, errors %d, skipped %d,"
            + " lag %.1f s%s",
        m.getOrDefault(Metrics.FILES, 0L),
        m.getOrDefault(Metrics.LINES, 0L),
        m.getOrDefault(Metrics.STORED, 0L),
        m.getOrDefault(Metrics.DUPLICATES, 0L),
        m.getOrDefault(Metrics.ERRORS, 0L),
        m.getOrDefault(Metrics.SKIPPED, 0L),
        m.getOrDefault(Metrics.LAG_MILLIS, 0L) / 1000.0,
        ledgerProblem == null ? "" : " (as of the last ledger read: " + ledgerProblem + ")");
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
