package io.shopstream.pipeline;

import io.shopstream.pipeline.LineParser.Invalid;
import io.shopstream.pipeline.LineParser.Parsed;
import io.shopstream.pipeline.LineParser.Valid;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.Arrays;
import org.apache.beam.sdk.io.FileIO.ReadableFile;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads each file line by line (keeping the physical line number, which {@code TextIO} drops) and
 * validates every line: valid events go to {@link #EVENTS}, rejected lines to {@link #ERRORS}.
 * Header and blank lines are counted as skipped. Nothing else leaves this step.
 *
 * <p>Events leave as {@link ShardedEvents}, encoded, up to {@link #BATCH} of one file at a time:
 * Spark caches the results of a step with two outputs, and one cache entry per event cost a fifth
 * of the pipeline's CPU in the benchmark, encoding and decoding batches of objects half of it.
 */
public final class ParseEvents extends PTransform<PCollection<ReadableFile>, PCollectionTuple> {

  /** Valid events by id shard, each value an encoded list: see {@link ShardedEvents}. */
  public static final TupleTag<KV<Integer, byte[]>> EVENTS = new TupleTag<>() {};

  public static final TupleTag<ErrorRecord> ERRORS = new TupleTag<>() {};

  private final int shards;

  /** {@code shards}: how many shards of the event id the events are gathered into. */
  public ParseEvents(int shards) {
    this.shards = shards;
  }

  @Override
  public PCollectionTuple expand(PCollection<ReadableFile> files) {
    PCollectionTuple parsed =
        files.apply(
            "ParseLines",
            ParDo.of(new ParseFileFn(shards)).withOutputTags(EVENTS, TupleTagList.of(ERRORS)));
    parsed.get(EVENTS).setCoder(ShardedEvents.CODER);
    parsed.get(ERRORS).setCoder(ErrorRecord.coder());
    return parsed;
  }

  static final int BATCH = 10_000;

  static final class ParseFileFn extends DoFn<ReadableFile, KV<Integer, byte[]>> {
    private final int shards;
    private final Counter files = Metrics.counter(Metrics.FILES);
    private final Counter lines = Metrics.counter(Metrics.LINES);
    private final Counter skipped = Metrics.counter(Metrics.SKIPPED);
    private final Metrics.ErrorCounter errors = new Metrics.ErrorCounter();

    /** Kept for the bundle, as its buffers grow to a batch's size once, not once per file. */
    private transient ShardedEvents batch;

    ParseFileFn(int shards) {
      this.shards = shards;
    }

    @StartBundle
    public void startBundle() {
      batch = new ShardedEvents(shards);
    }

    @ProcessElement
    public void processElement(@Element ReadableFile file, MultiOutputReceiver out)
        throws IOException {
      String source = file.getMetadata().resourceId().toString();
      long lineNumber = 0;
      long skippedLines = 0;
      byte[] line = new byte[1024];
      int length = 0;
      byte[] buffer = new byte[1 << 16];
      try (InputStream in = Channels.newInputStream(file.open())) {
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
          for (int i = 0; i < read; i++) {
            byte b = buffer[i];
            if (b == '\n') {
              skippedLines += emit(source, ++lineNumber, line, length, out);
              length = 0;
            } else {
              if (length == line.length) {
                line = Arrays.copyOf(line, length * 2);
              }
              line[length++] = b;
            }
          }
        }
      }
      if (length > 0) { // a last line without a line end
        skippedLines += emit(source, ++lineNumber, line, length, out);
      }
      send(out);
      // Counted once per file: a retried bundle re-counts whole files, never half of one.
      files.inc();
      lines.inc(lineNumber);
      skipped.inc(skippedLines);
    }

    /**
     * Validates one line and adds it to the batch, sent on when full, or sends its error on;
     * returns 1 when it was skipped (header or blank).
     */
    private int emit(
        String source, long lineNumber, byte[] line, int length, MultiOutputReceiver out) {
      Parsed parsed = LineParser.parse(source, lineNumber, line, length);
      if (parsed instanceof Valid valid) {
        batch.add(valid.event());
        if (batch.size() == BATCH) {
          send(out);
        }
      } else if (parsed instanceof Invalid invalid) {
        errors.inc(invalid.error().reason());
        out.get(ERRORS).output(invalid.error());
      } else {
        return 1;
      }
      return 0;
    }

    private void send(MultiOutputReceiver out) {
      for (KV<Integer, byte[]> shard : batch.drain()) {
        out.get(EVENTS).output(shard);
      }
    }
  }
}
