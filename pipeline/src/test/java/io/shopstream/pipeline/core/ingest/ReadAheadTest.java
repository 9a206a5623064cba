package io.shopstream.pipeline.core.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
// In a thread of its own: a reading that never ends makes close() wait for good, and the test fail.
class ReadAheadTest {

  @Test
  void handsTheBlocksOverInOrderThenTheEnd() throws Exception {
    try (ReadAhead reading =
        new ReadAhead(
            rows -> {
              for (int i = 0; i < 3 * ReadAhead.BLOCKS; i++) {
                rows.add(new byte[] {(byte) i});
              }
            })) {
      for (int i = 0; i < 3 * ReadAhead.BLOCKS; i++) {
        assertArrayEquals(new byte[] {(byte) i}, reading.next());
      }
      assertNull(reading.next());
    }
  }

  @Test
  void whatStoppedTheReadingIsThrownAfterTheBlocksBeforeIt() throws Exception {
    try (ReadAhead reading =
        new ReadAhead(
            rows -> {
              rows.add(new byte[] {1});
              throw new IOException("disk gone");
            })) {
      assertArrayEquals(new byte[] {1}, reading.next());
      assertEquals("disk gone", assertThrows(IOException.class, reading::next).getMessage());
    }
  }

  @Test
  void closingStopsAReadingThatWaitsForRoomAndWaitsForIt() throws Exception {
    CountDownLatch full = new CountDownLatch(1);
    AtomicBoolean stopped = new AtomicBoolean();
    ReadAhead reading =
        new ReadAhead(
            rows -> {
              try {
                for (int i = 0; ; i++) {
                  if (i == ReadAhead.BLOCKS) {
                    full.countDown();
                  }
                  rows.add(new byte[1]);
                }
              } catch (InterruptedIOException e) {
                stopped.set(true);
                throw e;
              }
            });
    full.await();
    reading.close(); // nobody takes: the reading waits on a full queue until it is stopped
    assertTrue(stopped.get(), "stopped, and ended before close returned");
    assertFalse(Thread.currentThread().isInterrupted());
  }
}
