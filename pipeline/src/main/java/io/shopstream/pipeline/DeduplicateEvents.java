package io.shopstream.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Keeps one event per {@code event_id} and window: the one from the earliest (file, line); the
 * others are counted as duplicates. Across windows the database keeps the first row stored.
 *
 * <p>The input is {@link ParseEvents}' events, gathered by a shard of their id: one shuffle serves
 * both de-duplication (all copies of an id meet in one group) and write batching, as the output is
 * one list of distinct events per shard and window, which the writer stores in large batches, the
 * shards in parallel, whatever bundle sizes the runner chooses.
 *
 * <p>A bundle's blocks are joined into one per window and shard before the shuffle: Spark's
 * streaming GroupByKey re-encodes a key's whole bag in its state for every value added, so a
 * hundred blocks per shard cost more than parsing their events.
 */
public final class DeduplicateEvents
    extends PTransform<PCollection<KV<Integer, byte[]>>, PCollection<List<Event>>> {

  @Override
  public PCollection<List<Event>> expand(PCollection<KV<Integer, byte[]>> events) {
    return events
        .apply("JoinBlocksPerBundle", ParDo.of(new JoinBlocksFn()))
        .setCoder(ShardedEvents.CODER)
        .apply("GroupByIdShard", GroupByKey.create())
        .apply("KeepEarliestPerId", ParDo.of(new KeepEarliestFn()))
        .setCoder(ListCoder.of(Event.coder()));
  }

  /** Joins a bundle's blocks into one per window and shard, emitted at the bundle's end. */
  static final class JoinBlocksFn extends DoFn<KV<Integer, byte[]>, KV<Integer, byte[]>> {
    private transient Map<BoundedWindow, Map<Integer, Joined>> joined;

    private static final class Joined {
      final ByteArrayOutputStream block = new ByteArrayOutputStream();
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    }

    @StartBundle
    public void startBundle() {
      joined = new HashMap<>();
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, byte[]> block, @Timestamp Instant timestamp, BoundedWindow window) {
      Joined shard =
          joined
              .computeIfAbsent(window, w -> new HashMap<>())
              .computeIfAbsent(block.getKey(), s -> new Joined());
      shard.block.writeBytes(block.getValue());
      if (timestamp.isBefore(shard.earliest)) {
        shard.earliest = timestamp;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      joined.forEach(
          (window, shards) ->
              shards.forEach(
                  (shard, j) ->
                      context.output(KV.of(shard, j.block.toByteArray()), j.earliest, window)));
    }
  }

  /**
   * Keeps the earliest (file, line) of each id. The output is in (file, line) order, which is
   * roughly event-time order: PostgreSQL then appends to its indexes instead of touching pages all
   * over them (a random order made the writes twice as slow).
   */
  static final class KeepEarliestFn extends DoFn<KV<Integer, Iterable<byte[]>>, List<Event>> {
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Iterable<byte[]>> shard, OutputReceiver<List<Event>> out)
        throws IOException {
      List<Event> all = new ArrayList<>();
      for (byte[] gathered : shard.getValue()) {
        all.addAll(ShardedEvents.decode(gathered));
      }
      all.sort(Event.BY_SOURCE);
      Set<String> seen = new HashSet<>();
      List<Event> earliest = new ArrayList<>(all.size());
      for (Event event : all) {
        if (seen.add(event.eventId())) {
          earliest.add(event);
        }
      }
      duplicates.inc(all.size() - earliest.size());
      out.output(earliest);
    }
  }
}
