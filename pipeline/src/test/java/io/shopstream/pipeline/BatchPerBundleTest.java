package io.shopstream.pipeline;

import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
@Timeout(120)
class BatchPerBundleTest {

  private static TimestampedValue<KV<String, Integer>> at(long second, String key, int value) {
    return TimestampedValue.of(KV.of(key, value), new Instant(second * 1000));
  }

  @Test
  void everyValueLeavesOnceInAListOfItsOwnKeyAndWindow(TestPipeline pipeline) {
    PCollection<KV<String, List<Integer>>> batched =
        pipeline
            .apply(
                Create.timestamped(
                    at(1, "a", 1), at(2, "a", 2), at(3, "b", 3), at(11, "a", 4), at(12, "b", 5)))
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(10))))
            .apply(new BatchPerBundle<>());

    // Flattened back, each value is tagged with its list's key: a value under another key's list
    // or lost or doubled would show.
    PCollection<String> values =
        batched.apply(
            FlatMapElements.into(TypeDescriptors.strings())
                .via(kv -> kv.getValue().stream().map(v -> kv.getKey() + v).toList()));
    IntervalWindow first = new IntervalWindow(new Instant(0), Duration.standardSeconds(10));
    IntervalWindow second = new IntervalWindow(new Instant(10_000), Duration.standardSeconds(10));
    PAssert.that(values).inWindow(first).containsInAnyOrder("a1", "a2", "b3");
    PAssert.that(values).inWindow(second).containsInAnyOrder("a4", "b5");
    pipeline.run().waitUntilFinish();
  }
}
