package io.shopstream.pipeline;

import static io.shopstream.pipeline.Events.event;

import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Windows and de-duplication on DirectRunner, driven through watermarks with TestStream. */
@ExtendWith(TestPipelineExtension.class)
@Timeout(120)
class DeduplicateEventsTest {

  private static final Duration WINDOW = Duration.standardSeconds(5);
  private static final Instant T0 = new Instant(0);
  private static final IntervalWindow FIRST = new IntervalWindow(T0, WINDOW);
  private static final IntervalWindow SECOND = new IntervalWindow(T0.plus(WINDOW), WINDOW);

  private static TimestampedValue<Event> at(long seconds, Event event) {
    return TimestampedValue.of(event, T0.plus(Duration.standardSeconds(seconds)));
  }

  private static PCollection<Event> deduplicate(TestPipeline pipeline, TestStream<Event> stream) {
    return pipeline
        .apply(stream)
        .apply(
            "ShardedOneByOne",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptors.integers(), TypeDescriptor.of(byte[].class)))
                .via(e -> Events.sharded(e, 4)))
        .setCoder(ShardedEvents.CODER)
        .apply(new WindowByArrival<>(WINDOW))
        .apply(new DeduplicateEvents())
        .apply(Flatten.iterables())
        .apply("Decode", MapElements.into(TypeDescriptor.of(Event.class)).via(Event::fromCopyRow))
        .setCoder(Events.CODER);
  }

  @Test
  void withinAWindowTheEarliestFileAndLineWins(TestPipeline pipeline) {
    TestStream<Event> stream =
        TestStream.create(Events.CODER)
            .addElements(
                at(1, event("a", "/in/b.csv", 2)),
                at(1, event("a", "/in/a.csv", 9)),
                at(2, event("a", "/in/a.csv", 4)),
                at(3, event("b", "/in/b.csv", 3)))
            .advanceWatermarkToInfinity();

    PCollection<Event> output = deduplicate(pipeline, stream);

    PAssert.that(output)
        .inOnTimePane(FIRST)
        .containsInAnyOrder(event("a", "/in/a.csv", 4), event("b", "/in/b.csv", 3));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void acrossWindowsEachWindowKeepsItsOwnCopyForTheDatabaseToSettle(TestPipeline pipeline) {
    TestStream<Event> stream =
        TestStream.create(Events.CODER)
            .addElements(at(1, event("a", "/in/a.csv", 2)))
            .advanceWatermarkTo(T0.plus(Duration.standardSeconds(6)))
            .addElements(at(7, event("a", "/in/c.csv", 2)), at(8, event("c", "/in/c.csv", 3)))
            .advanceWatermarkToInfinity();

    PCollection<Event> output = deduplicate(pipeline, stream);

    PAssert.that(output).inOnTimePane(FIRST).containsInAnyOrder(event("a", "/in/a.csv", 2));
    PAssert.that(output)
        .inOnTimePane(SECOND)
        .containsInAnyOrder(event("a", "/in/c.csv", 2), event("c", "/in/c.csv", 3));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void lateDataWithinTheAllowedLatenessIsStillEmitted(TestPipeline pipeline) {
    TestStream<Event> stream =
        TestStream.create(Events.CODER)
            .addElements(at(1, event("a", "/in/a.csv", 2)))
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(10)))
            .addElements(at(2, event("late", "/in/b.csv", 2)), at(3, event("a", "/in/b.csv", 5)))
            .advanceWatermarkToInfinity();

    PCollection<Event> output = deduplicate(pipeline, stream);

    PAssert.that(output).inOnTimePane(FIRST).containsInAnyOrder(event("a", "/in/a.csv", 2));
    PAssert.that(output)
        .inWindow(FIRST)
        .containsInAnyOrder(
            event("a", "/in/a.csv", 2), event("late", "/in/b.csv", 2), event("a", "/in/b.csv", 5));
    pipeline.run().waitUntilFinish();
  }
}
