package io.shopstream.pipeline;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Keeps one event per {@code event_id} and window: the one from the earliest (file, line). The
 * others are counted as duplicates. Across windows the database keeps the first row stored.
 */
public final class DeduplicateEvents extends PTransform<PCollection<Event>, PCollection<Event>> {

  @Override
  public PCollection<Event> expand(PCollection<Event> events) {
    return events
        .apply("KeyByEventId", WithKeys.of(Event::eventId).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Event.coder()))
        .apply("GroupByEventId", GroupByKey.create())
        .apply("KeepEarliest", ParDo.of(new KeepEarliestFn()))
        .setCoder(Event.coder());
  }

  static final class KeepEarliestFn extends DoFn<KV<String, Iterable<Event>>, Event> {
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);

    @ProcessElement
    public void processElement(
        @Element KV<String, Iterable<Event>> group, OutputReceiver<Event> out) {
      Event earliest = null;
      long count = 0;
      for (Event event : group.getValue()) {
        count++;
        if (earliest == null || event.isBefore(earliest)) {
          earliest = event;
        }
      }
      duplicates.inc(count - 1);
      out.output(earliest);
    }
  }
}
