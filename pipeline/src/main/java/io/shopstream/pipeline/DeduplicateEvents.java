package io.shopstream.pipeline;

import io.shopstream.pipeline.ShardedEvents.Block;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Keeps one event per {@code event_id} and window: the one from the earliest (file, line); the
 * others are counted as duplicates. Across windows the database keeps the first row stored.
 *
 * <p>The input is {@link ParseEvents}' events, gathered by a shard of their id: one shuffle serves
 * both de-duplication (all copies of an id meet in one group) and write batching, as the output is
 * one list of distinct events' {@link Event#copyRow COPY rows} per shard and window, which the
 * writer stores in large batches, the shards in parallel, whatever bundle sizes the runner chooses.
 */
public final class DeduplicateEvents
    extends PTransform<PCollection<KV<Integer, byte[]>>, PCollection<List<byte[]>>> {

  @Override
  public PCollection<List<byte[]>> expand(PCollection<KV<Integer, byte[]>> events) {
    return events
        .apply("BatchPerBundle", new BatchPerBundle<>())
        .apply("GroupByIdShard", GroupByKey.create())
        .apply("KeepEarliestPerId", ParDo.of(new KeepEarliestFn()))
        .setCoder(ListCoder.of(ByteArrayCoder.of()));
  }

  /**
   * Keeps the earliest (file, line) of each id. The output is in (file, line) order, which is
   * roughly event-time order: PostgreSQL then appends to its indexes instead of touching pages all
   * over them (a random order made the writes twice as slow).
   */
  static final class KeepEarliestFn
      extends DoFn<KV<Integer, Iterable<List<byte[]>>>, List<byte[]>> {
    private final Counter duplicates = Metrics.counter(Metrics.DUPLICATES);

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Iterable<List<byte[]>>> shard, OutputReceiver<List<byte[]>> out)
        throws IOException {
      List<Block> blocks = new ArrayList<>();
      int events = 0;
      for (List<byte[]> batch : shard.getValue()) {
        for (byte[] bytes : batch) {
          Block block = Block.read(bytes);
          blocks.add(block);
          events += block.ids().size();
        }
      }
      blocks.sort(Block.BY_SOURCE);
      Set<String> seen = new HashSet<>(events * 4 / 3 + 1); // never resized
      List<byte[]> earliest = new ArrayList<>(events);
      for (Block block : blocks) {
        for (int i = 0; i < block.ids().size(); i++) {
          if (seen.add(block.ids().get(i))) {
            earliest.add(block.rows().get(i));
          }
        }
      }
      duplicates.inc(events - earliest.size());
      out.output(earliest);
    }
  }
}
