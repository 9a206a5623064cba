package io.shopstream.pipeline;

import static io.shopstream.pipeline.Events.event;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** File reading: physical line numbers, events and dead letters side by side. */
@ExtendWith(TestPipelineExtension.class)
@Timeout(120)
class ParseEventsTest {

  private static final int SHARDS = 4;

  @TempDir Path dir;

  private static PCollection<List<Event>> decoded(PCollectionTuple parsed) {
    return parsed
        .get(ParseEvents.EVENTS)
        .apply(
            "Decode",
            MapElements.into(TypeDescriptors.lists(TypeDescriptor.of(Event.class)))
                .via(Events::decode))
        .setCoder(ListCoder.of(Events.CODER));
  }

  @Test
  void everyLineEndsUpAsAnEventAnErrorOrSkipped(TestPipeline pipeline) throws IOException {
    Path file = dir.resolve("a.csv");
    String good = "u1,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z";
    byte[] content =
        ("\uFEFF"
                + String.join(",", LineParser.COLUMNS)
                + "\r\n"
                + "e1,"
                + good
                + "\r\n"
                + "\n"
                + "e2,u1,p1,\"Shoes, red,Clothing,1,view,2026-01-01T10:00:00Z\n" // open quote
                + "e3,"
                + good
                + "\n" // not swallowed by the open quote above
                + "e4,u1,p1,Shoes,Clothing,1,refund,2026-01-01T10:00:00Z\n"
                + "e5,"
                + good) // no final newline
            .getBytes(StandardCharsets.UTF_8);
    Files.write(file, content);
    String source = file.toString();

    PCollectionTuple parsed =
        pipeline
            .apply(FileIO.match().filepattern(dir.resolve("*.csv").toString()))
            .apply(FileIO.readMatches())
            .apply(new ParseEvents(SHARDS));

    PAssert.that(decoded(parsed).apply(Flatten.iterables()))
        .containsInAnyOrder(event("e1", source, 2), event("e3", source, 5), event("e5", source, 7));
    PAssert.that(
            parsed
                .get(ParseEvents.ERRORS)
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via(e -> e.source() + ":" + e.line() + ":" + e.reason())))
        .containsInAnyOrder(source + ":4:MALFORMED_CSV", source + ":6:BAD_EVENT_TYPE");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void eventsLeaveGatheredByIdShardAtMostBatchOfAFileAtATime(TestPipeline pipeline)
      throws IOException {
    int events = ParseEvents.BATCH * 2 + 7;
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < events; i++) {
      content.append("e").append(i).append(",u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z\n");
    }
    Files.writeString(dir.resolve("big.csv"), content);

    PCollectionTuple parsed =
        pipeline
            .apply(FileIO.match().filepattern(dir.resolve("*.csv").toString()))
            .apply(FileIO.readMatches())
            .apply(new ParseEvents(SHARDS));

    PAssert.that(
            parsed
                .get(ParseEvents.EVENTS)
                .apply(
                    "ShardsRight",
                    MapElements.into(TypeDescriptors.booleans())
                        .via(
                            shard ->
                                Events.decode(shard).stream()
                                    .allMatch(
                                        e ->
                                            Math.floorMod(e.eventId().hashCode(), SHARDS)
                                                == shard.getKey()))))
        .satisfies(
            rightShards -> {
              // Three sends (BATCH, BATCH, 7 events), each at most one list per shard.
              int lists = 0;
              for (boolean right : rightShards) {
                assertTrue(right, "a list holds events of its own shard only");
                lists++;
              }
              assertTrue(lists <= 3 * SHARDS, lists + " lists");
              return null;
            });
    PAssert.that(
            decoded(parsed)
                .apply("Count", MapElements.into(TypeDescriptors.integers()).via(List::size))
                .apply(Sum.integersGlobally()))
        .containsInAnyOrder(events);
    pipeline.run().waitUntilFinish();
  }
}
