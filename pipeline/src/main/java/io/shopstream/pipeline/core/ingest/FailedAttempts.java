package io.shopstream.pipeline.core.ingest;

import io.shopstream.pipeline.core.files.FileVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What this reader's failed attempts at a group may have left on the server: the versions whose
 * ledger locks they took, and their sessions. A session cut off from its client (a host that
 * stopped answering, a dead route) keeps its transaction and its locks for good: the server does
 * not act on its statement timeout while a COPY waits for data from the client. So the next attempt
 * ends those sessions, known by their process id and start time, before it takes locks.
 */
final class FailedAttempts {

  private static final int END_WAIT_MILLIS = 5000;

  private record Session(int pid, OffsetDateTime start) {}

  /** The versions whose locks a failed attempt may still hold. */
  final Set<FileVersion> held = new HashSet<>();

  private final List<Session> sessions = new ArrayList<>();
  private Session current;

  /** Notes the session an attempt runs in, in case it fails. */
  void starting(Connection connection) throws SQLException {
    try (Statement query = connection.createStatement();
        ResultSet row =
            query.executeQuery(
                "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")) {
      row.next();
      current = new Session(row.getInt(1), row.getObject(2, OffsetDateTime.class));
    }
  }

  /** The attempt failed: its session may live on without it. */
  void failed() {
    if (current != null) {
      sessions.add(current);
      current = null;
    }
  }

  /** Ends the sessions of failed attempts still on the server, waiting for each to go. */
  void endSessions(Connection connection) throws SQLException {
    if (sessions.isEmpty()) {
      return;
    }
    try (PreparedStatement end =
        connection.prepareStatement(
            "SELECT pg_terminate_backend(pid, "
                + END_WAIT_MILLIS
                + ") FROM pg_stat_activity WHERE pid = ? AND backend_start = ?")) {
      for (Session session : sessions) {
        end.setInt(1, session.pid());
        end.setObject(2, session.start());
        end.executeQuery().close();
      }
    }
    sessions.clear();
  }
}
