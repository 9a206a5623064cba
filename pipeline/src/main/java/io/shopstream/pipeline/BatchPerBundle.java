package io.shopstream.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Put before a GroupByKey: a bundle's values of one key and window leave as one list, at the
 * bundle's end, with the earliest of their timestamps.
 *
 * <p>Why: Spark's streaming GroupByKey keeps a key's values in a bag state that it decodes and
 * re-encodes whole for every value added, so n values of a key cost n²/2 value encodings. Sent one
 * by one, the benchmark's 10,000 error records (500 per input file) took 45% of the CPU of reading
 * 1,000,000 lines; batched, a key gets a value or two per micro-batch.
 */
final class BatchPerBundle<K, V>
    extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, List<V>>>> {

  @Override
  public PCollection<KV<K, List<V>>> expand(PCollection<KV<K, V>> input) {
    KvCoder<K, V> coder = (KvCoder<K, V>) input.getCoder();
    return input
        .apply("ListPerKeyAndWindow", ParDo.of(new BatchFn<K, V>()))
        .setCoder(KvCoder.of(coder.getKeyCoder(), ListCoder.of(coder.getValueCoder())));
  }

  static final class BatchFn<K, V> extends DoFn<KV<K, V>, KV<K, List<V>>> {
    private transient Map<BoundedWindow, Map<K, Batch<V>>> batches;

    private static final class Batch<V> {
      final List<V> values = new ArrayList<>();
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    }

    @StartBundle
    public void startBundle() {
      batches = new HashMap<>();
    }

    @ProcessElement
    public void processElement(
        @Element KV<K, V> element, @Timestamp Instant timestamp, BoundedWindow window) {
      Batch<V> batch =
          batches
              .computeIfAbsent(window, w -> new HashMap<>())
              .computeIfAbsent(element.getKey(), k -> new Batch<>());
      batch.values.add(element.getValue());
      if (timestamp.isBefore(batch.earliest)) {
        batch.earliest = timestamp;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      batches.forEach(
          (window, byKey) ->
              byKey.forEach(
                  (key, batch) ->
                      context.output(KV.of(key, batch.values), batch.earliest, window)));
    }
  }
}
