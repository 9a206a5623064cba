package io.shopstream.pipeline;

import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Fixed windows over arrival time (the time a file was found), for de-duplication and writes.
 * Windows fire when the watermark passes their end; data that arrives later, within the allowed
 * lateness, fires again at once instead of being dropped, and the database keeps the first row.
 * Grouped output keeps the earliest arrival time, so the writer can report its lag.
 */
public final class WindowByArrival<T> extends PTransform<PCollection<T>, PCollection<T>> {

  static final Duration ALLOWED_LATENESS = Duration.standardHours(1);

  private final Duration size;

  public WindowByArrival(Duration size) {
    this.size = size;
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    return input.apply(
        "FixedWindows",
        Window.<T>into(FixedWindows.of(size))
            .triggering(
                AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
            .withAllowedLateness(ALLOWED_LATENESS)
            .withTimestampCombiner(TimestampCombiner.EARLIEST)
            .discardingFiredPanes());
  }
}
