package io.shopstream.pipeline.beam;

import io.shopstream.pipeline.core.ingest.GroupIngest;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Gauge;

/** The Beam metrics the pipeline reports (namespace {@value #NAMESPACE}); docs/reference.md. */
public final class Metrics {
  public static final String NAMESPACE = "shopstream";

  public static final String FILES = "files";
  public static final String LINES = "lines";
  public static final String SKIPPED = "skipped";
  public static final String STORED = "stored";
  public static final String DUPLICATES = "duplicates";
  public static final String ERRORS = "errors";
  public static final String LAG_MILLIS = "lag_millis";
  public static final String BYTES_READ = "bytes_read";
  public static final String DATABASE_RETRIES = "database_retries";
  public static final String WRITE_MILLIS = "write_millis";
  public static final String COMMIT_MILLIS = "commit_millis";

  private Metrics() {}

  public static Counter counter(String name) {
    return org.apache.beam.sdk.metrics.Metrics.counter(NAMESPACE, name);
  }

  public static Gauge gauge(String name) {
    return org.apache.beam.sdk.metrics.Metrics.gauge(NAMESPACE, name);
  }

  /**
   * A latency histogram as Beam counters ({@code <name>_le_<bound>}, {@code _count}, {@code _sum}),
   * so every runner sums it over its workers and the driver reads it like any counter.
   */
  public static final class Latency implements Serializable {
    public static final long[] BOUNDS_MILLIS = {
      5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
    };

    private final Counter[] buckets = new Counter[BOUNDS_MILLIS.length];
    private final Counter count;
    private final Counter sum;

    public Latency(String name) {
      for (int i = 0; i < BOUNDS_MILLIS.length; i++) {
        buckets[i] = counter(bucket(name, BOUNDS_MILLIS[i]));
      }
      count = counter(name + "_count");
      sum = counter(name + "_sum");
    }

    public static String bucket(String name, long bound) {
      return name + "_le_" + bound;
    }

    /**
     * Counts the observation in the first bucket it fits (the exposition makes them cumulative).
     */
    public void observe(long millis) {
      for (int i = 0; i < BOUNDS_MILLIS.length; i++) {
        if (millis <= BOUNDS_MILLIS[i]) {
          buckets[i].inc();
          break;
        }
      }
      count.inc();
      sum.inc(millis);
    }
  }

  /** Counts a rejected line in the total {@code errors} and in {@code errors_<REASON>}. */
  public static final class ErrorCounter implements Serializable {
    private final Counter total = counter(ERRORS);
    private final Map<Reason, Counter> byReason = new EnumMap<>(Reason.class);

    public ErrorCounter() {
      for (Reason reason : Reason.values()) {
        byReason.put(reason, counter(ERRORS + "_" + reason.name()));
      }
    }

    public void inc(Reason reason, long n) {
      total.inc(n);
      byReason.get(reason).inc(n);
    }
  }

  /** The ingest's counts as Beam metrics: per version committed, per retry, per transaction. */
  static final class Ingest implements GroupIngest.Listener, Serializable {
    private final Counter files = counter(FILES);
    private final Counter lines = counter(LINES);
    private final Counter skipped = counter(SKIPPED);
    private final Counter stored = counter(STORED);
    private final Counter duplicates = counter(DUPLICATES);
    private final ErrorCounter errors = new ErrorCounter();
    private final Gauge lag = gauge(LAG_MILLIS);
    private final Counter bytesRead = counter(BYTES_READ);
    private final Counter retries = counter(DATABASE_RETRIES);
    private final Latency writeLatency = new Latency(WRITE_MILLIS);
    private final Latency commitLatency = new Latency(COMMIT_MILLIS);

    @Override
    public void committed(Ledger.Entry entry) {
      Ledger.Counts counts = entry.counts();
      files.inc();
      bytesRead.inc(entry.version().size());
      lines.inc(counts.lines());
      skipped.inc(counts.skipped());
      stored.inc(counts.stored());
      duplicates.inc(counts.duplicates());
      counts.errorsByReason().forEach(errors::inc);
      lag.set(System.currentTimeMillis() - entry.found().toEpochMilli());
    }

    @Override
    public void retrying() {
      retries.inc();
    }

    @Override
    public void transaction(long writeMillis, long commitMillis) {
      writeLatency.observe(writeMillis);
      commitLatency.observe(commitMillis);
    }
  }
}
