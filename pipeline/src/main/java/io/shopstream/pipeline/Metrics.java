package io.shopstream.pipeline;

import io.shopstream.pipeline.ErrorRecord.Reason;
import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Gauge;

/** The Beam metrics the pipeline reports (namespace {@value #NAMESPACE}); SPEC.md section 8. */
final class Metrics {
  static final String NAMESPACE = "shopstream";

  static final String FILES = "files";
  static final String LINES = "lines";
  static final String SKIPPED = "skipped";
  static final String STORED = "stored";
  static final String DUPLICATES = "duplicates";
  static final String ERRORS = "errors";
  static final String LAG_MILLIS = "lag_millis";

  private Metrics() {}

  static Counter counter(String name) {
    return org.apache.beam.sdk.metrics.Metrics.counter(NAMESPACE, name);
  }

  static Gauge gauge(String name) {
    return org.apache.beam.sdk.metrics.Metrics.gauge(NAMESPACE, name);
  }

  /** Counts a rejected line in the total {@code errors} and in {@code errors_<REASON>}. */
  static final class ErrorCounter implements Serializable {
    private final Counter total = counter(ERRORS);
    private final Map<Reason, Counter> byReason = new EnumMap<>(Reason.class);

    ErrorCounter() {
      for (Reason reason : Reason.values()) {
        byReason.put(reason, counter(ERRORS + "_" + reason.name()));
      }
    }

    void inc(Reason reason, long n) {
      total.inc(n);
      byReason.get(reason).inc(n);
    }
  }
}
