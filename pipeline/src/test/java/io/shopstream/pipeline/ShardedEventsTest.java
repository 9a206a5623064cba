package io.shopstream.pipeline;

import static io.shopstream.pipeline.Events.event;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.ShardedEvents.Block;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

class ShardedEventsTest {

  @Test
  void eventsAreDrainedAsOneBlockPerShardHoldingOnlyThatShardsIds() throws IOException {
    ShardedEvents sharded = new ShardedEvents(4);
    List<Event> added = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      added.add(event("e" + i, "f.csv", i + 2));
      sharded.add(added.get(i));
    }
    assertEquals(100, sharded.size());

    List<KV<Integer, byte[]>> blocks = sharded.drain();
    List<Event> all = new ArrayList<>();
    for (KV<Integer, byte[]> bytes : blocks) {
      Block block = Block.read(bytes.getValue());
      assertEquals("f.csv", block.source());
      for (int i = 0; i < block.ids().size(); i++) {
        Event e = Event.fromCopyRow(block.rows().get(i));
        assertEquals(e.eventId(), block.ids().get(i));
        assertEquals(bytes.getKey(), Math.floorMod(e.eventId().hashCode(), 4), e.eventId());
        if (i == 0) {
          assertEquals(e.sourceLine(), block.firstLine());
        }
        assertArrayEquals(added.get((int) e.sourceLine() - 2).copyRow(), block.rows().get(i));
        all.add(e);
      }
    }
    assertEquals(4, blocks.size());
    assertEquals(100, all.size());
    assertEquals(0, sharded.size());
    assertTrue(sharded.drain().isEmpty(), "drained twice");
  }

  @Test
  void aBlockHoldsOneFile() {
    ShardedEvents sharded = new ShardedEvents(1);
    sharded.add(event("a", "a.csv", 2));
    assertThrows(IllegalArgumentException.class, () -> sharded.add(event("b", "b.csv", 2)));
    sharded.drain();
    sharded.add(event("b", "b.csv", 2)); // a new block after a drain
    assertEquals(1, sharded.size());
  }
}
