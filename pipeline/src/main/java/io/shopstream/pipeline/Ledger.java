package io.shopstream.pipeline;

import io.shopstream.pipeline.ErrorRecord.Reason;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.joda.time.Instant;

/**
 * The file ledger, {@code ingested_files} (SPEC.md section 6): one row per committed file version,
 * written in the transaction that stores the version's rows. It alone says what was ingested.
 */
final class Ledger {

  /** What became of a version's lines; {@code lines = stored + duplicates + skipped + errors}. */
  record Counts(
      long lines, long stored, long duplicates, long skipped, Map<Reason, Long> errorsByReason) {
    long errors() {
      return errorsByReason.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static final String MODIFIED_AT = "timestamptz 'epoch' + ? * interval '1 millisecond'";

  private Ledger() {}

  /** Which of these versions the ledger holds. */
  static Set<FileVersion> committed(Connection connection, Collection<FileVersion> versions)
      throws SQLException {
    Set<FileVersion> committed = new HashSet<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT path, size, (extract(epoch FROM modified_at) * 1000)::bigint"
                + " FROM ingested_files WHERE path = ANY (?)")) {
      Array paths =
          connection.createArrayOf(
              "text", versions.stream().map(FileVersion::path).distinct().toArray());
      query.setArray(1, paths);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          committed.add(new FileVersion(rows.getString(1), rows.getLong(2), rows.getLong(3)));
        }
      }
    }
    committed.retainAll(new HashSet<>(versions));
    return committed;
  }

  /**
   * Takes the version's lock for the rest of the transaction unless another transaction holds it:
   * one version is ingested by one reader at a time, and a reader that finds it taken leaves it to
   * the holder and goes on to its next version. So readers that were all handed the same versions
   * share them out as they go, and a version ingested before is found committed under the lock.
   */
  static boolean tryLock(Connection connection, FileVersion version) throws SQLException {
    try (PreparedStatement lock =
        connection.prepareStatement("SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))")) {
      lock.setString(1, version.path() + "|" + version.size() + "|" + version.modifiedMillis());
      try (ResultSet taken = lock.executeQuery()) {
        taken.next();
        return taken.getBoolean(1);
      }
    }
  }

  /** Adds the version's row; the caller commits it with the version's rows. */
  static void record(
      Connection connection,
      FileVersion version,
      Instant found,
      Counts counts,
      String errorFile,
      String readBy)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO ingested_files (path, size, modified_at, found_at, lines, stored,"
                + " duplicates, skipped, errors, errors_by_reason, error_file, read_by)"
                + " VALUES (?, ?, "
                + MODIFIED_AT
                + ", ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)")) {
      insert.setString(1, version.path());
      insert.setLong(2, version.size());
      insert.setLong(3, version.modifiedMillis());
      insert.setObject(
          4,
          OffsetDateTime.ofInstant(
              java.time.Instant.ofEpochMilli(found.getMillis()), ZoneOffset.UTC));
      insert.setLong(5, counts.lines());
      insert.setLong(6, counts.stored());
      insert.setLong(7, counts.duplicates());
      insert.setLong(8, counts.skipped());
      insert.setLong(9, counts.errors());
      insert.setString(10, json(counts.errorsByReason()));
      insert.setString(11, errorFile);
      insert.setString(12, readBy);
      insert.executeUpdate();
    }
  }

  /**
   * {@code {"BAD_PRICE": 3, ...}}: reason codes are plain identifiers, so no escaping is needed.
   */
  private static String json(Map<Reason, Long> errorsByReason) {
    return Arrays.stream(Reason.values())
        .filter(errorsByReason::containsKey)
        .map(reason -> "\"" + reason.name() + "\": " + errorsByReason.get(reason))
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
