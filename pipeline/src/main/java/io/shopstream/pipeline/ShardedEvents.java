package io.shopstream.pipeline;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.KV;

/**
 * Events of one file gathered by a shard of their id, as {@code KV<shard, block>}: the form in
 * which they leave {@link ParseEvents} and cross the shuffle of {@link DeduplicateEvents}, where
 * all copies of an id meet in one shard. A block is its file's name and first line number, then for
 * each event, in line order, its id and its {@link Event#copyRow}.
 *
 * <p>Why bytes: Spark caches the results of a step with two outputs (an encode, then a decode for
 * each consumer) and keeps a GroupByKey's values in its state; as bytes they are copies. Why COPY
 * rows: the writer sends them as they are, so an event's ten fields are turned into text once,
 * where the line is read, instead of decoded after the shuffle and printed again (the writers' own
 * CPU, which competes with PostgreSQL's on the same cores).
 */
final class ShardedEvents {

  static final Coder<KV<Integer, byte[]>> CODER = KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of());

  private final List<ByteArrayOutputStream> byShard = new ArrayList<>();
  private String source;
  private int size;

  ShardedEvents(int shards) {
    for (int shard = 0; shard < shards; shard++) {
      byShard.add(new ByteArrayOutputStream());
    }
  }

  /** Adds an event; events are added in line order, and all from one file between drains. */
  void add(Event event) {
    if (size == 0) {
      source = event.sourceFile();
    } else if (!source.equals(event.sourceFile())) {
      throw new IllegalArgumentException(event.sourceFile() + " added to a block of " + source);
    }
    ByteArrayOutputStream block =
        byShard.get(Math.floorMod(event.eventId().hashCode(), byShard.size()));
    try {
      if (block.size() == 0) {
        write(block, source.getBytes(StandardCharsets.UTF_8));
        VarInt.encode(event.sourceLine(), block);
      }
      write(block, event.eventId().getBytes(StandardCharsets.UTF_8));
      write(block, event.copyRow());
    } catch (IOException e) {
      throw new UncheckedIOException("writing into memory cannot fail", e);
    }
    size++;
  }

  private static void write(ByteArrayOutputStream out, byte[] bytes) throws IOException {
    VarInt.encode(bytes.length, out);
    out.write(bytes);
  }

  /** How many events were added since the last {@link #drain}. */
  int size() {
    return size;
  }

  /** The events added so far, one block per shard that has any; leaves this empty. */
  List<KV<Integer, byte[]>> drain() {
    List<KV<Integer, byte[]>> blocks = new ArrayList<>();
    for (int shard = 0; shard < byShard.size(); shard++) {
      ByteArrayOutputStream block = byShard.get(shard);
      if (block.size() > 0) {
        blocks.add(KV.of(shard, block.toByteArray()));
        block.reset();
      }
    }
    size = 0;
    return blocks;
  }

  /** A block read back: its events' ids and COPY rows, index by index. */
  record Block(String source, long firstLine, List<String> ids, List<byte[]> rows) {

    /** Blocks in (file, line) order; the blocks of one file never overlap in lines. */
    static final Comparator<Block> BY_SOURCE =
        Comparator.comparing(Block::source).thenComparingLong(Block::firstLine);

    static Block read(byte[] block) throws IOException {
      InputStream in = new ByteArrayInputStream(block);
      String source = new String(bytes(in), StandardCharsets.UTF_8);
      long firstLine = VarInt.decodeLong(in);
      List<String> ids = new ArrayList<>();
      List<byte[]> rows = new ArrayList<>();
      while (in.available() > 0) {
        ids.add(new String(bytes(in), StandardCharsets.UTF_8));
        rows.add(bytes(in));
      }
      return new Block(source, firstLine, ids, rows);
    }

    private static byte[] bytes(InputStream in) throws IOException {
      int length = VarInt.decodeInt(in);
      byte[] bytes = in.readNBytes(length);
      if (bytes.length != length) {
        throw new EOFException("block cut short: " + bytes.length + " of " + length + " bytes");
      }
      return bytes;
    }
  }
}
