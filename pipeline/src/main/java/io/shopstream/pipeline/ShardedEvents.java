package io.shopstream.pipeline;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.values.KV;

/**
 * Events gathered by a shard of their id and encoded once, as {@code KV<shard, block>}: the form in
 * which they leave {@link ParseEvents} and cross the shuffle of {@link DeduplicateEvents}, where
 * all copies of an id meet in one shard. A block is events encoded back to back.
 *
 * <p>Why bytes: Spark caches the results of a step with two outputs (an encode, then a decode for
 * each consumer) and keeps a GroupByKey's values in its state. As objects, encoding and decoding
 * events there took half the CPU of reading 1,000,000 lines in the benchmark; as bytes they are
 * copies, and the events are decoded once, where they are de-duplicated.
 */
final class ShardedEvents {

  static final Coder<KV<Integer, byte[]>> CODER = KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of());

  private static final Coder<Event> EVENT = Event.coder();

  private final List<ByteArrayOutputStream> byShard = new ArrayList<>();
  private int size;

  ShardedEvents(int shards) {
    for (int shard = 0; shard < shards; shard++) {
      byShard.add(new ByteArrayOutputStream());
    }
  }

  void add(Event event) {
    try {
      EVENT.encode(event, byShard.get(Math.floorMod(event.eventId().hashCode(), byShard.size())));
    } catch (IOException e) {
      throw new UncheckedIOException("writing into memory cannot fail", e);
    }
    size++;
  }

  /** How many events were added since the last {@link #drain}. */
  int size() {
    return size;
  }

  /** The events added so far, one block per shard that has any; leaves this empty. */
  List<KV<Integer, byte[]>> drain() {
    List<KV<Integer, byte[]>> blocks = new ArrayList<>();
    for (int shard = 0; shard < byShard.size(); shard++) {
      ByteArrayOutputStream block = byShard.get(shard);
      if (block.size() > 0) {
        blocks.add(KV.of(shard, block.toByteArray()));
        block.reset();
      }
    }
    size = 0;
    return blocks;
  }

  static List<Event> decode(byte[] block) throws IOException {
    List<Event> events = new ArrayList<>();
    ByteArrayInputStream in = new ByteArrayInputStream(block);
    while (in.available() > 0) {
      events.add(EVENT.decode(in));
    }
    return events;
  }
}
