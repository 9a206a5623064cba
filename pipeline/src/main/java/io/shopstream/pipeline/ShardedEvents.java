package io.shopstream.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;

/**
 * Events gathered by a shard of their id and encoded once, as {@code KV<shard, encoded
 * List<Event>>}: the form in which they leave {@link ParseEvents} and cross the shuffle of {@link
 * DeduplicateEvents}, where all copies of an id meet in one shard.
 *
 * <p>Why bytes: Spark caches the results of a step with two outputs (an encode, then a decode for
 * each consumer) and keeps a GroupByKey's values in its state. As objects, encoding and decoding
 * events there took half the CPU of reading 1,000,000 lines in the benchmark; as bytes they are
 * copies, and the events are decoded once, where they are de-duplicated.
 */
final class ShardedEvents {

  static final Coder<KV<Integer, byte[]>> CODER = KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of());

  private static final Coder<List<Event>> EVENTS = ListCoder.of(Event.coder());

  private final List<List<Event>> byShard = new ArrayList<>();
  private int size;

  ShardedEvents(int shards) {
    for (int shard = 0; shard < shards; shard++) {
      byShard.add(new ArrayList<>());
    }
  }

  void add(Event event) {
    byShard.get(Math.floorMod(event.eventId().hashCode(), byShard.size())).add(event);
    size++;
  }

  int size() {
    return size;
  }

  /** The events gathered so far, one encoded list per shard that has any; leaves this empty. */
  List<KV<Integer, byte[]>> drain() throws CoderException {
    List<KV<Integer, byte[]>> encoded = new ArrayList<>();
    for (int shard = 0; shard < byShard.size(); shard++) {
      List<Event> events = byShard.get(shard);
      if (!events.isEmpty()) {
        encoded.add(KV.of(shard, CoderUtils.encodeToByteArray(EVENTS, events)));
        events.clear();
      }
    }
    size = 0;
    return encoded;
  }

  static List<Event> decode(byte[] encoded) throws CoderException {
    return CoderUtils.decodeFromByteArray(EVENTS, encoded);
  }
}
