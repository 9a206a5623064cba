package io.shopstream.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Keeps one event per {@code event_id} and window: the one from the earliest (file, line); the
 * others are counted as duplicates. Across windows the database keeps the first row stored.
 *
 * <p>Events are grouped by a shard of their id ({@code shards} groups per window), so one shuffle
 * serves both de-duplication (all copies of an id meet in one group) and write batching: the output
 * is one list of distinct events per shard and window, which the writer stores in large batches,
 * the shards in parallel, whatever bundle sizes the runner chooses.
 *
 * <p>Each bundle's events go through the shuffle encoded once, as one byte array per shard: Spark's
 * streaming GroupByKey keeps grouped values in its state and re-encodes a key's whole bag on every
 * add, which for events (ten strings each) cost more than parsing them.
 */
public final class DeduplicateEvents
    extends PTransform<PCollection<List<Event>>, PCollection<List<Event>>> {

  private final int shards;

  public DeduplicateEvents(int shards) {
    this.shards = shards;
  }

  @Override
  public PCollection<List<Event>> expand(PCollection<List<Event>> events) {
    return events
        .apply("GatherByIdShard", ParDo.of(new GatherByShardFn(shards)))
        .setCoder(KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of()))
        .apply("GroupByIdShard", GroupByKey.create())
        .apply("KeepEarliestPerId", ParDo.of(new KeepEarliestFn()))
        .setCoder(ListCoder.of(Event.coder()));
  }

  private static final Coder<List<Event>> EVENTS = ListCoder.of(Event.coder());

  /** Gathers a bundle's events into one encoded list per window and shard, emitted at its end. */
  static final class GatherByShardFn extends DoFn<List<Event>, KV<Integer, byte[]>> {
    private final int shards;
    private transient Map<BoundedWindow, Map<Integer, Gathered>> gathered;

    private static final class Gathered {
      final List<Event> events = new ArrayList<>();
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    }

    GatherByShardFn(int shards) {
      this.shards = shards;
    }

    @StartBundle
    public void startBundle() {
      gathered = new HashMap<>();
    }

    @ProcessElement
    public void processElement(
        @Element List<Event> events, @Timestamp Instant timestamp, BoundedWindow window) {
      Map<Integer, Gathered> byShard = gathered.computeIfAbsent(window, w -> new HashMap<>());
      for (Event event : events) {
        Gathered shard =
            byShard.computeIfAbsent(
                Math.floorMod(event.eventId().hashCode(), shards), s -> new Gathered());
        shard.events.add(event);
        if (timestamp.isBefore(shard.earliest)) {
          shard.earliest = timestamp;
        }
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws CoderException {
      for (Map.Entry<BoundedWindow, Map<Integer, Gathered>> window : gathered.entrySet()) {
        for (Map.Entry<Integer, Gathered> shard : window.getValue().entrySet()) {
          Gathered g = shard.getValue();
          context.output(
              KV.of(shard.getKey(), CoderUtils.encodeToByteArray(EVENTS, g.events)),
              g.earliest,
              window.getKey());
        }
      }
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
        throws CoderException {
      List<Event> all = new ArrayList<>();
      for (byte[] gathered : shard.getValue()) {
        all.addAll(CoderUtils.decodeFromByteArray(EVENTS, gathered));
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
