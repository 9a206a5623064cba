package io.shopstream.pipeline;

import io.shopstream.pipeline.ErrorRecord.Reason;
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

  /** One counter per reason, named {@code errors_<REASON>}, beside the total {@code errors}. */
  static Map<Reason, Counter> errorCounters() {
    Map<Reason, Counter> counters = new EnumMap<>(Reason.class);
    for (Reason reason : Reason.values()) {
      counters.put(reason, counter(ERRORS + "_" + reason.name()));
    }
    return counters;
  }
}
