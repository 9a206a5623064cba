package io.shopstream.pipeline;

import static io.shopstream.pipeline.Events.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

class ShardedEventsTest {

  @Test
  void eventsAreDrainedAsOneBlockPerShardHoldingOnlyThatShardsIds() throws IOException {
    ShardedEvents sharded = new ShardedEvents(4);
    for (int i = 0; i < 100; i++) {
      sharded.add(event("e" + i, "f.csv", i + 2));
    }
    assertEquals(100, sharded.size());

    List<KV<Integer, byte[]>> blocks = sharded.drain();
    List<Event> all = new ArrayList<>();
    for (KV<Integer, byte[]> block : blocks) {
      for (Event e : ShardedEvents.decode(block.getValue())) {
        assertEquals(block.getKey(), Math.floorMod(e.eventId().hashCode(), 4), e.eventId());
        all.add(e);
      }
    }
    assertEquals(4, blocks.size());
    assertEquals(100, all.size());
    assertEquals(0, sharded.size());
    assertTrue(sharded.drain().isEmpty(), "drained twice");
  }
}
