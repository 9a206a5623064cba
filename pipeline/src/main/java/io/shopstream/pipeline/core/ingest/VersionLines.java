package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.InputFolder;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.parse.FileLines;
import io.shopstream.pipeline.core.parse.LineParser.Invalid;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import io.shopstream.pipeline.core.parse.LineParser.Valid;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  private final FileVersion version;
  private final FileLines lines;
  private final int file;
  private final ReadAhead.Rows staged;
  private final ErrorFile errorFile;
  private final ByteArrayOutputStream rows = new ByteArrayOutputStream(BLOCK + 4096);
  private final Map<Reason, Long> errorsByReason = new EnumMap<>(Reason.class);
  private long valid;
  private long skipped;
  private long rejected;
  private long stored;

  /** The staged rows of this version are numbered {@code firstSeq + 1 .. seq}. */
  final long firstSeq;

  long seq;

  VersionLines(
      FileVersion version,
      ExtraColumns extraColumns,
      int file,
      ReadAhead.Rows staged,
      ErrorFile errorFile,
      long firstSeq) {
    this.version = version;
    this.lines = new FileLines(version.path(), extraColumns);
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
      ExtraColumns extraColumns,
      Map<FileVersion, ErrorFile> errorFiles,
      ReadAhead.Rows rows,
      Map<FileVersion, VersionLines> read,
      List<long[]> left)
      throws IOException {
    long staged = 0;
    int number = 0;
    for (Map.Entry<FileVersion, ErrorFile> each : errorFiles.entrySet()) {
      FileVersion version = each.getKey();
      VersionLines file =
          new VersionLines(version, extraColumns, ++number, rows, each.getValue(), staged);
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
        lines.lines(), stored, valid - stored - rejected, skipped, errorsByReason);
  }

  /** Per extra column name, the valid lines that held a value in it. */
  Map<String, Long> extraColumns() {
    return lines.extraColumns();
  }

  /**
   * False when the file held fewer bytes than its version's size or is not that version any more
   * (it was replaced).
   */
  boolean read() throws IOException, UnreadableFile {
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
        lines.read(bounded, this::add);
        // the compressed bytes after a corrupt part, to compare with the size
        bounded.transferTo(OutputStream.nullOutputStream());
      } catch (Downstream e) {
        throw e.getCause();
      } catch (IOException e) {
        throw new UnreadableFile(e);
      }
      total = bounded.getCount();
    }
    if (rows.size() > 0) {
      staged.add(rows.toByteArray());
    }
    return total == version.size()
        && InputFolder.current(version.path()).equals(Optional.of(version));
  }

  private void reject(ErrorRecord record) throws IOException {
    errorsByReason.merge(record.reason(), 1L, Long::sum);
    errorFile.add(record);
  }

  private void add(Parsed parsed) {
    try {
      take(parsed);
    } catch (IOException e) {
      throw new Downstream(e);
    }
  }

  private void take(Parsed parsed) throws IOException {
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

  /**
   * Writing a line's outcome failed (its error file, the staging): the attempt fails, unlike a
   * failure to read the input file.
   */
  private static final class Downstream extends RuntimeException {
    Downstream(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }

  /** The input file could not be read: the version stays uncommitted and is read again later. */
  static final class UnreadableFile extends Exception {
    UnreadableFile(IOException cause) {
      super(cause.toString(), cause);
    }
  }
}
