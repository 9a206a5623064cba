package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.files.VersionOrder;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Ingests a group of file versions found together, in one PostgreSQL transaction
 * (docs/reference.md): every line is validated as it is read; valid events stream into a staging
 * table with {@code COPY}; the earliest line of each {@code event_id} goes on into {@code
 * user_events} with {@code ON CONFLICT DO NOTHING}, and the rows that were new into the one-minute
 * event-time windows of {@code event_stats_minute}; rejected lines go to each version's error file;
 * and each version's ledger row with its counts commits with all of it. So a version is ingested
 * whole or not at all, and one that was (a version handed out again) is skipped under its ledger
 * lock, as is one another session is ingesting: every reader is handed every version, and they
 * share them out this way.
 *
 * <p>Any failure rolls the attempt back, and the group is tried again with backoff, for ever,
 * reading the files again: nothing is dropped. A row the database refuses for a data reason is
 * found by inserting in halves and becomes a {@code DB_REJECTED} record (see {@link Staging}).
 */
public final class GroupIngest {

  /**
   * A version alone in its transaction is stored a chunk of this many staged bytes (about 35,000
   * rows) at a time, as it is read, so that no sort or staging table grows with the file (see
   * {@link Staging}).
   */
  public static final long CHUNK_BYTES = 4 << 20;

  /** Who read a version, for the ledger: {@code pid@host} of the worker JVM. */
  private static final String READ_BY = ManagementFactory.getRuntimeMXBean().getName();

  /** A version to ingest, with when it was found. */
  public record Found(FileVersion version, Instant at) {}

  /** What the ingest tells as it goes: for metrics. */
  public interface Listener {
    void committed(Ledger.Entry entry);

    void retrying();

    void transaction(long writeMillis, long commitMillis);
  }

  private final DataSource dataSource;
  private final String errorDir;
  private final ProcessedFiles processed;
  private final ExtraColumns extraColumns;
  private final long chunkBytes;
  private final Listener listener;

  public GroupIngest(
      JdbcConfig database,
      String errorDir,
      ProcessedFiles processed,
      ExtraColumns extraColumns,
      long chunkBytes,
      Listener listener) {
    this.dataSource = database.pooledDataSource();
    this.errorDir = errorDir;
    this.processed = processed;
    this.extraColumns = extraColumns;
    this.chunkBytes = chunkBytes;
    this.listener = listener;
  }

  /**
   * Ingests the group, trying again after any failure until every version is committed (by this
   * reader or another one) or left: changed while it was read (its new version comes next), or
   * unreadable (read again later). Each version committed is handled after commit ({@code
   * --processedAction}) and returned, in commit order.
   *
   * <p>A version whose lock an attempt of this reader held when it failed is waited for until it
   * commits: the failed attempt's session may still hold its lock on the server (the next attempt
   * ends it, see {@link FailedAttempts}), and a version left to a lock holder that is gone would
   * wait for the watcher to hand it out again.
   */
  public List<Ledger.Entry> ingest(List<Found> group) throws InterruptedException {
    Retries retries = new Retries();
    FailedAttempts failed = new FailedAttempts();
    List<Ledger.Entry> committed = new ArrayList<>();
    List<Found> todo = group;
    while (!todo.isEmpty()) {
      try {
        Attempt done = attempt(todo, failed);
        for (Ledger.Entry entry : done.committed()) {
          processed.apply(entry.version());
          listener.committed(entry);
          committed.add(entry);
        }
        todo =
            todo.stream()
                .filter(f -> failed.held.contains(f.version()))
                .filter(f -> done.lockedElsewhere().contains(f.version()))
                .toList();
        if (!todo.isEmpty()) {
          retries.waitForLocks(todo);
        }
      } catch (SQLException | IOException e) {
        listener.retrying();
        retries.failed(todo, e);
      }
    }
    return committed;
  }

  /**
   * What one attempt at a group did: the ledger rows it committed, and the versions it found locked
   * by another session and not committed.
   */
  private record Attempt(List<Ledger.Entry> committed, Set<FileVersion> lockedElsewhere) {}

  /** One attempt at a group, in one transaction, after ending what failed ones left behind. */
  private Attempt attempt(List<Found> group, FailedAttempts failed)
      throws SQLException, IOException {
    // Oldest first within the group: of an id in two of its files, the older file's row is stored.
    List<Found> ordered = new ArrayList<>(group);
    ordered.sort(Comparator.comparing(Found::version, VersionOrder.OLDEST_FIRST));
    try (Connection connection = dataSource.getConnection()) {
      failed.endSessions(connection);
      failed.starting(connection);
      connection.setAutoCommit(false);
      Map<FileVersion, ErrorFile> errorFiles = new LinkedHashMap<>();
      try {
        Claim claim = Claim.take(connection, ordered, failed.held);
        for (Found found : ordered) {
          if (claim.ours().contains(found.version())) {
            errorFiles.put(found.version(), new ErrorFile(errorDir, found.version()));
          }
        }
        List<Ledger.Entry> entries = commit(connection, ordered, errorFiles);
        return new Attempt(entries, claim.lockedElsewhere());
      } catch (SQLException e) {
        failed.failed();
        // Closed for good, so the pool drops it: pgjdbc does not mark a connection broken by an
        // I/O error in COPY, and the pool would hand that dead connection to every retry.
        connection.abort(Runnable::run);
        throw e;
      } catch (IOException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        for (ErrorFile errorFile : errorFiles.values()) {
          errorFile.close();
        }
      }
    }
  }

  /** Stores the claimed versions and commits them with their ledger rows and windows. */
  private List<Ledger.Entry> commit(
      Connection connection, List<Found> ordered, Map<FileVersion, ErrorFile> errorFiles)
      throws SQLException, IOException {
    long started = System.nanoTime();
    Map<FileVersion, VersionLines> read = store(connection, errorFiles);
    List<Ledger.Entry> entries = new ArrayList<>();
    for (Found found : ordered) {
      VersionLines file = read.remove(found.version()); // a version handed twice: once
      if (file != null) {
        String errorFile = errorFiles.get(found.version()).publish();
        entries.add(
            new Ledger.Entry(
                found.version(), found.at(), file.counts(), file.extraColumns(), errorFile));
      }
    }
    if (entries.isEmpty()) {
      connection.rollback();
      return entries;
    }
    Ledger.record(connection, entries, READ_BY);
    long written = System.nanoTime();
    connection.commit();
    listener.transaction(
        (written - started) / 1_000_000, (System.nanoTime() - written) / 1_000_000);
    return entries;
  }

  /**
   * Reads, validates and stages the versions' lines, then stores them: the versions read whole and
   * unchanged, with their counts.
   */
  private Map<FileVersion, VersionLines> store(
      Connection connection, Map<FileVersion, ErrorFile> errorFiles)
      throws SQLException, IOException {
    Map<FileVersion, VersionLines> read = new LinkedHashMap<>();
    List<long[]> left = new ArrayList<>();
    List<String> paths = errorFiles.keySet().stream().map(FileVersion::path).toList();
    // A version is stored a chunk at a time only alone in its transaction (see Staging).
    long chunk = errorFiles.size() == 1 ? chunkBytes : Long.MAX_VALUE;
    Map<String, Long> storedByPath;
    List<ErrorRecord> refused;
    try (Staging staging = new Staging(connection, paths, chunk);
        ReadAhead reading =
            new ReadAhead(
                rows -> VersionLines.readAll(extraColumns, errorFiles, rows, read, left))) {
      for (byte[] rows = reading.next(); rows != null; rows = reading.next()) {
        staging.add(rows);
      }
      if (read.isEmpty()) {
        return read; // nothing to store: the transaction is rolled back
      }
      storedByPath = staging.finish(left);
      refused = staging.refused();
    }
    for (VersionLines file : read.values()) {
      file.stored(storedByPath.getOrDefault(file.version().path(), 0L));
    }
    for (ErrorRecord record : refused) {
      read.values().stream()
          .filter(f -> f.version().path().equals(record.source()))
          .findFirst()
          .orElseThrow()
          .rejected(record);
    }
    return read;
  }
}
