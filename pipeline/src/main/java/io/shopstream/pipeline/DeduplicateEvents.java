package io.shopstream.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
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
 * <p>Events are grouped by a shard of their id ({@code shards} groups per window), so one shuffle
 * serves both de-duplication (all copies of an id meet in one group) and write batching: the output
 * is one list of distinct events per shard and window, which the writer stores in large batches,
 * the shards in parallel, whatever bundle sizes the runner chooses.
 */
public final class DeduplicateEvents
    extends PTransform<PCollection<Event>, PCollection<List<Event>>> {

  private final int shards;

  public DeduplicateEvents(int shards) {
    this.shards = shards;
  }

  @Override
  public PCollection<List<Event>> expand(PCollection<Event> events) {
    return events
        .apply("GatherByIdShard", ParDo.of(new GatherByShardFn(shards)))
        .setCoder(KvCoder.of(VarIntCoder.of(), ListCoder.of(Event.coder())))
        .apply("GroupByIdShard", GroupByKey.create())
        .apply("KeepEarliestPerId", ParDo.of(new KeepEarliestFn()))
        .setCoder(ListCoder.of(Event.coder()));
  }

  /** Gathers a bundle's events into one list per window and shard, emitted when it ends. */
  static final class GatherByShardFn extends DoFn<Event, KV<Integer, List<Event>>> {
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
        @Element Event event, @Timestamp Instant timestamp, BoundedWindow window) {
      Gathered shard =
          gathered
              .computeIfAbsent(window, w -> new HashMap<>())
              .computeIfAbsent(
                  Math.floorMod(event.eventId().hashCode(), shards), s -> new Gathered());
      shard.events.add(event);
      if (timestamp.isBefore(shard.earliest)) {
        shard.earliest = timestamp;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      gathered.forEach(
          (window, byShard) ->
              byShard.forEach(
                  (shard, g) -> context.output(KV.of(shard, g.events), g.earliest, window)));
    }
  }

  static final class KeepEarliestFn extends DoFn<KV<Integer, Iterable<List<Event>>>, List<Event>> {
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Iterable<List<Event>>> shard, OutputReceiver<List<Event>> out) {
      Map<String, Event> earliest = new HashMap<>();
      long count = 0;
      for (List<Event> gathered : shard.getValue()) {
        for (Event event : gathered) {
          count++;
          earliest.merge(
              event.eventId(), event, (kept, other) -> other.isBefore(kept) ? other : kept);
        }
      }
      duplicates.inc(count - earliest.size());
      out.output(new ArrayList<>(earliest.values()));
    }
  }
}
