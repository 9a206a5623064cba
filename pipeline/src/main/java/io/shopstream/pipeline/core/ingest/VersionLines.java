package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.Header;
import io.shopstream.pipeline.core.parse.LineParser;
import io.shopstream.pipeline.core.parse.LineParser.Invalid;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import io.shopstream.pipeline.core.parse.LineParser.Valid;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.io.input.BoundedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lines of one version, read up to its size: valid events go to the staging in blocks (by way
 * of the {@link ReadAhead}), rejected lines to the error file, and every line is counted.
 */
final class VersionLines {
  private static final Logger LOG = LoggerFactory.getLogger(GroupIngest.class);

  private static final int BLOCK = 1 << 16;

  /**
   * A line is read up to this many bytes; the rest of a longer one is skipped and the line becomes
   * one error record, so no line, gzip bomb or file of one huge line can take the heap.
   */
  static final int MAX_LINE_BYTES = 1 << 20;

  /** The line being read is longer than {@link #MAX_LINE_BYTES}. */
  private boolean cut;

  private final FileVersion version;
  private final int file;
  private final ReadAhead.Rows staged;
  private final ErrorFile errorFile;
  private final ByteArrayOutputStream rows = new ByteArrayOutputStream(BLOCK + 4096);
  private final Map<Reason, Long> errorsByReason = new EnumMap<>(Reason.class);
  private Header header;
  private long lineNumber;
  private long valid;
  private long skipped;
  private long rejected;
  private long stored;

  /** The staged rows of this version are numbered {@code firstSeq + 1 .. seq}. */
  final long firstSeq;

  long seq;

  VersionLines(
      FileVersion version, int file, ReadAhead.Rows staged, ErrorFile errorFile, long firstSeq) {
    this.version = version;
    this.file = file;
    this.staged = staged;
    this.errorFile = errorFile;
    this.firstSeq = firstSeq;
    this.seq = firstSeq;
  }

  /**
   * Reads and validates the versions' lines in order, their valid events to {@code rows}: the
   * versions read whole and unchanged into {@code read}, the staged rows of the others into {@code
   * left}.
   */
  static void readAll(
      Map<FileVersion, ErrorFile> errorFiles,
      ReadAhead.Rows rows,
      Map<FileVersion, VersionLines> read,
      List<long[]> left)
      throws IOException {
    long staged = 0;
    int number = 0;
    for (Map.Entry<FileVersion, ErrorFile> each : errorFiles.entrySet()) {
      FileVersion version = each.getKey();
      VersionLines file = new VersionLines(version, ++number, rows, each.getValue(), staged);
      try {
        if (file.read()) {
          read.put(version, file);
        } else {
          LOG.info("{} changed while it was read; its new version is read next", version);
          left.add(new long[] {file.firstSeq, file.seq});
        }
      } catch (UnreadableFile e) {
        LOG.warn(
            "Cannot read {} ({}); it stays uncommitted and is read again later",
            version,
            e.getMessage());
        left.add(new long[] {file.firstSeq, file.seq});
      }
      staged = file.seq;
    }
  }

  FileVersion version() {
    return version;
  }

  /** How many of its rows were new: stored, not duplicates. */
  void stored(long rows) {
    stored = rows;
  }

  /** A staged row the database refused. */
  void rejected(ErrorRecord record) throws IOException {
    reject(record);
    rejected++;
  }

  Ledger.Counts counts() {
    return new Ledger.Counts(
        lineNumber, stored, valid - stored - rejected, skipped, errorsByReason);
  }

  /**
   * False when the file held fewer bytes than its version's size or is not that version any more
   * (it was replaced).
   */
  boolean read() throws IOException, UnreadableFile {
    byte[] line = new byte[1024];
    int length = 0;
    byte[] buffer = new byte[1 << 16];
    InputStream file;
    try {
      file = InputFolder.open(version);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UnreadableFile(e);
    }
    long total;
    try (BoundedInputStream bounded =
        BoundedInputStream.builder().setInputStream(file).setMaxCount(version.size()).get()) {
      try {
        InputStream in = decoded(bounded);
        for (int read = read(in, buffer); read >= 0; read = read(in, buffer)) {
          for (int i = 0; i < read; i++) {
            byte b = buffer[i];
            if (b == '\n') {
              add(line, length);
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
        corrupt(line, length, e.getCause());
        length = 0;
      }
      drain(bounded); // the compressed bytes after a corrupt part, to compare with the size
      total = bounded.getCount();
    }
    if (length > 0) { // a last line without a line end
      add(line, length);
    }
    if (rows.size() > 0) {
      staged.add(rows.toByteArray());
    }
    return total == version.size()
        && InputFolder.current(version.path()).equals(Optional.of(version));
  }

  /** The file's text: gunzipped for {@code .gz}. */
  private InputStream decoded(InputStream bytes) throws CorruptArchive, UnreadableFile {
    if (!version.path().endsWith(".gz")) {
      return bytes;
    }
    try {
      return new GZIPInputStream(bytes, 1 << 16);
    } catch (IOException e) {
      throw failure(e);
    }
  }

  private int read(InputStream in, byte[] buffer) throws CorruptArchive, UnreadableFile {
    try {
      return in.read(buffer);
    } catch (IOException e) {
      throw failure(e);
    }
  }

  private static void drain(InputStream in) throws UnreadableFile {
    try {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new UnreadableFile(e);
    }
  }

  /**
   * Throws what a read failure means: bad gzip data (or a gzip file cut short) is the file's, any
   * other failure is reading's. Declared to return, so that callers can {@code throw} it.
   */
  private RuntimeException failure(IOException e) throws CorruptArchive, UnreadableFile {
    if (version.path().endsWith(".gz")
        && (e instanceof ZipException || e instanceof EOFException)) {
      throw new CorruptArchive(e);
    }
    throw new UnreadableFile(e);
  }

  /** What was left of a line when the archive turned unreadable, and the rest: one record. */
  private void corrupt(byte[] line, int length, Throwable why) throws IOException {
    lineNumber++;
    reject(
        ErrorRecord.of(
            version.path(),
            lineNumber,
            Reason.BAD_ENCODING,
            "gzip data corrupt after line "
                + (lineNumber - 1)
                + " ("
                + why.getMessage()
                + "): the rest of the file cannot be read",
            text(line, length)));
  }

  private static String text(byte[] line, int length) {
    return new String(
        line, 0, Math.min(length, 4 * ErrorRecord.MAX_RAW_CHARS), StandardCharsets.UTF_8);
  }

  private void reject(ErrorRecord record) throws IOException {
    errorsByReason.merge(record.reason(), 1L, Long::sum);
    errorFile.add(record);
  }

  private void add(byte[] line, int length) throws IOException {
    if (cut) {
      reject(
          ErrorRecord.of(
              version.path(),
              ++lineNumber,
              Reason.FIELD_TOO_LONG,
              "line longer than " + MAX_LINE_BYTES + " bytes (1 MiB); not read further",
              text(line, length)));
      return;
    }
    if (++lineNumber == 1) {
      header = LineParser.header(line, length);
    }
    Parsed parsed = LineParser.parse(version.path(), lineNumber, line, length, header);
    if (parsed instanceof Valid v) {
      valid++;
      rows.writeBytes((++seq + ",").getBytes(StandardCharsets.US_ASCII));
      rows.writeBytes(v.event().copyRow(file));
      if (rows.size() >= BLOCK) {
        staged.add(rows.toByteArray());
        rows.reset();
      }
    } else if (parsed instanceof Invalid invalid) {
      reject(invalid.error());
    } else {
      skipped++;
    }
  }

  /** A gzip file's data is corrupt: what follows becomes one error record. */
  static final class CorruptArchive extends Exception {
    CorruptArchive(IOException cause) {
      super(cause.toString(), cause);
    }
  }

  /** The input file could not be read: the version stays uncommitted and is read again later. */
  static final class UnreadableFile extends Exception {
    UnreadableFile(IOException cause) {
      super(cause.toString(), cause);
    }
  }
}
