package io.shopstream.pipeline.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection kept between calls of a loop that asks the database every second or so (a connection
 * per call would cost the server a process per call), and opened again after a failure.
 */
public final class KeptConnection implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KeptConnection.class);

  private final JdbcConfig database;
  private volatile Connection connection;

  public KeptConnection(JdbcConfig database) {
    this.database = database;
  }

  /** The kept connection, opened if there is none. */
  public Connection get() throws SQLException {
    Connection open = connection;
    if (open == null) {
      open = database.connect();
      connection = open;
    }
    return open;
  }

  /** Closes it, after a failure or at the end; the next {@link #get} opens a new one. */
  @Override
  public void close() {
    Connection open = connection;
    connection = null;
    if (open != null) {
      try {
        open.close();
      } catch (SQLException e) {
        LOG.debug("Closing a kept connection: {}", e.getMessage());
      }
    }
  }

  /**
   * Closes it from another thread than the one using it (unlike close, safe while it is in use): a
   * transaction under way is rolled back by the server.
   */
  public void abort() {
    Connection open = connection;
    connection = null;
    if (open != null) {
      try {
        open.abort(Runnable::run);
      } catch (SQLException e) {
        LOG.debug("Aborting a kept connection: {}", e.getMessage());
      }
    }
  }
}
