package io.shopstream.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.KV;

/** Test events. */
final class Events {
  private Events() {}

  /** One event in the sharded form {@link ParseEvents} emits. */
  static KV<Integer, byte[]> sharded(Event event, int shards) {
    ShardedEvents one = new ShardedEvents(shards);
    one.add(event);
    return one.drain().get(0);
  }

  /** The events of a block {@link ParseEvents} emits. */
  static List<Event> decode(KV<Integer, byte[]> sharded) {
    try {
      return ShardedEvents.Block.read(sharded.getValue()).rows().stream()
          .map(Event::fromCopyRow)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The events as the COPY rows {@link WriteEvents} takes. */
  static List<byte[]> rows(List<Event> events) {
    return events.stream().map(Event::copyRow).toList();
  }

  /** A coder for tests that pass events around (the pipeline passes COPY rows). */
  static final Coder<Event> CODER = new TextFieldsCoder<>(Event::columns, Event::ofColumns);

  static Event event(String id, String file, long line) {
    return new Event(
        id,
        "u1",
        "p1",
        "Red Shoes",
        "Clothing",
        "19.99",
        "view",
        "2026-01-01T10:00:00Z",
        file,
        line);
  }

  static Event withTime(Event e, String eventTime) {
    return new Event(
        e.eventId(),
        e.userId(),
        e.productId(),
        e.productName(),
        e.category(),
        e.price(),
        e.eventType(),
        eventTime,
        e.sourceFile(),
        e.sourceLine());
  }
}
