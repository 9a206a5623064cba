package io.shopstream.pipeline.core.parse;

import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.LineParser.Invalid;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import io.shopstream.pipeline.core.parse.LineParser.Valid;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The lines of one input file, each validated by the rules of its format (docs/reference.md): CSV
 * ({@code .csv}, with its header) or JSON Lines ({@code .jsonl}), either gzipped ({@code .gz}). The
 * pipeline's ingest and {@code validate} both read files through this, so they agree line for line.
 * Also counts, per extra column, the valid lines that hold a value in it (for the ledger).
 */
public final class FileLines {

  /** Where each line's outcome goes, in order. */
  public interface Sink {
    void accept(Parsed parsed) throws IOException;
  }

  /**
   * A line is read up to this many bytes; the rest of a longer one is skipped and the line becomes
   * one error record, so no line, gzip bomb or file of one huge line can take the heap.
   */
  public static final int MAX_LINE_BYTES = 1 << 20;

  private final String source;
  private final boolean json;
  private final boolean gzip;
  private final ExtraColumns extraColumns;
  private final Map<String, Long> extraColumnCounts = new TreeMap<>();
  private Header header;
  private long lineNumber;

  public FileLines(String source, ExtraColumns extraColumns) {
    this.source = source;
    this.json = isJsonLines(source);
    this.gzip = source.endsWith(".gz");
    this.extraColumns = extraColumns;
  }

  /** Whether a file name is an input file's: {@code .csv} or {@code .jsonl}, either gzipped. */
  public static boolean isInputFormat(String name) {
    return name.endsWith(".csv")
        || name.endsWith(".csv.gz")
        || name.endsWith(".jsonl")
        || name.endsWith(".jsonl.gz");
  }

  /** Whether a file name is a JSON Lines file's: {@code .jsonl}, plain or gzipped. */
  public static boolean isJsonLines(String name) {
    return name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
  }

  /** The lines read so far. */
  public long lines() {
    return lineNumber;
  }

  /** Per extra column name, the valid lines that held a value in it. */
  public Map<String, Long> extraColumns() {
    return extraColumnCounts;
  }

  /**
   * Reads the file's bytes to their end, each line's outcome to the sink. Bad gzip data (or a gzip
   * file cut short) is the file's: what is left of it becomes one {@code BAD_ENCODING} record. Any
   * other failure to read is thrown.
   */
  public void read(InputStream bytes, Sink sink) throws IOException {
    byte[] line = new byte[1024];
    int length = 0;
    boolean cut = false;
    byte[] buffer = new byte[1 << 16];
    try {
      InputStream in = gzip ? gunzipped(bytes) : bytes;
      for (int read = read(in, buffer); read >= 0; read = read(in, buffer)) {
        for (int i = 0; i < read; i++) {
          byte b = buffer[i];
          if (b == '\n') {
            sink.accept(cut ? tooLong(line, length) : parse(line, length));
            length = 0;
            cut = false;
          } else if (length < MAX_LINE_BYTES) {
            if (length == line.length) {
              line = Arrays.copyOf(line, length * 2);
            }
            line[length++] = b;
          } else {
            cut = true;
          }
        }
      }
    } catch (CorruptArchive e) {
      sink.accept(corrupt(line, length, e.getCause()));
      return;
    }
    if (length > 0) { // a last line without a line end
      sink.accept(cut ? tooLong(line, length) : parse(line, length));
    }
  }

  private InputStream gunzipped(InputStream bytes) throws IOException, CorruptArchive {
    try {
      return new GZIPInputStream(bytes, 1 << 16);
    } catch (ZipException | EOFException e) {
      throw new CorruptArchive(e);
    }
  }

  private int read(InputStream in, byte[] buffer) throws IOException, CorruptArchive {
    try {
      return in.read(buffer);
    } catch (ZipException | EOFException e) {
      if (gzip) {
        throw new CorruptArchive(e);
      }
      throw e;
    }
  }

  /** A gzip file's data is corrupt (or cut short): what follows becomes one error record. */
  private static final class CorruptArchive extends Exception {
    CorruptArchive(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }

  private Parsed parse(byte[] line, int length) {
    lineNumber++;
    Parsed parsed;
    if (json) {
      parsed = JsonLineParser.parse(source, lineNumber, line, length, extraColumns);
    } else {
      if (lineNumber == 1) {
        header = LineParser.header(line, length);
      }
      parsed = LineParser.parse(source, lineNumber, line, length, header, extraColumns);
    }
    if (parsed instanceof Valid valid) {
      for (String name : valid.extraColumns()) {
        extraColumnCounts.merge(name, 1L, Long::sum);
      }
    }
    return parsed;
  }

  private Invalid tooLong(byte[] line, int length) {
    return LineParser.invalid(
        source,
        ++lineNumber,
        Reason.FIELD_TOO_LONG,
        "line longer than " + MAX_LINE_BYTES + " bytes (1 MiB); not read further",
        text(line, length));
  }

  /** What was left of a line when the archive turned unreadable, and the rest: one record. */
  private Invalid corrupt(byte[] line, int length, IOException why) {
    lineNumber++;
    return LineParser.invalid(
        source,
        lineNumber,
        Reason.BAD_ENCODING,
        "gzip data corrupt after line "
            + (lineNumber - 1)
            + " ("
            + why.getMessage()
            + "): the rest of the file cannot be read",
        text(line, length));
  }

  private static String text(byte[] line, int length) {
    return new String(
        line, 0, Math.min(length, 4 * ErrorRecord.MAX_RAW_CHARS), StandardCharsets.UTF_8);
  }
}
