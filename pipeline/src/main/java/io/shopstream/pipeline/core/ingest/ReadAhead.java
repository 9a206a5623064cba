package io.shopstream.pipeline.core.ingest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Files read and parsed on a thread of their own, up to {@link #BLOCKS} blocks of rows ahead of the
 * {@code COPY} that takes them: while PostgreSQL inserts one chunk of a large file, the next is
 * parsed (in turn, the parser waited on the insert and one of two cores idled).
 */
final class ReadAhead implements AutoCloseable {

  /** Where the reading puts its blocks of rows; blocks while {@link #BLOCKS} wait. */
  interface Rows {
    void add(byte[] rows) throws IOException;
  }

  /** What runs on the thread: it reads everything, putting each block of rows. */
  interface Reading {
    void run(Rows rows) throws IOException;
  }

  /** Blocks of about 64 KiB: one chunk of {@link GroupIngest#CHUNK_BYTES}. */
  static final int BLOCKS = 64;

  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> blocks = new ArrayBlockingQueue<>(BLOCKS);
  private final Thread thread;

  /** What ended the reading, if not its end; handed over with {@link #END}. */
  private Throwable failure;

  ReadAhead(Reading reading) {
    thread =
        new Thread(
            () -> {
              try {
                reading.run(this::put);
              } catch (IOException | RuntimeException | Error e) {
                failure = e; // thrown by next(), on the ingest's thread
              } finally {
                try {
                  blocks.put(END);
                } catch (InterruptedException e) {
                  // closed: nobody is waiting for the end
                }
              }
            },
            "shopstream-read-" + Thread.currentThread().getName());
    thread.setDaemon(true);
    thread.start();
  }

  private void put(byte[] rows) throws InterruptedIOException {
    try {
      blocks.put(rows);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // so that the END is not put either: nobody takes it
      throw new InterruptedIOException("stopped while reading");
    }
  }

  /** The next block of rows, or null once everything was read; throws what stopped the reading. */
  byte[] next() throws IOException {
    byte[] rows;
    try {
      rows = blocks.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("stopped while waiting for the rows read");
    }
    if (rows != END) {
      return rows;
    }
    if (failure instanceof IOException e) {
      throw e;
    } else if (failure instanceof RuntimeException e) {
      throw e;
    } else if (failure instanceof Error e) {
      throw e;
    }
    return null;
  }

  /** Stops the reading if it has not ended, and waits for its thread: no file is read after. */
  @Override
  public void close() {
    thread.interrupt();
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
