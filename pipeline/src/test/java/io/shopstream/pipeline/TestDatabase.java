package io.shopstream.pipeline;

import com.sun.security.auth.module.UnixSystem;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fresh, empty PostgreSQL database for one test, on the server named by {@code
 * SHOPSTREAM_TEST_JDBC_URL} or, when that is unset, on an embedded server started once per JVM.
 */
public final class TestDatabase {

  public static final String ENV = "SHOPSTREAM_TEST_JDBC_URL";
  private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/]+/)([^?]*)(\\?.*)?");
  private static String serverUrl;

  private TestDatabase() {}

  /** Creates a new database with the shopstream schema applied. */
  public static JdbcConfig create() throws SQLException, IOException {
    JdbcConfig server = new JdbcConfig(serverUrl(), null, null);
    String name = "shopstream_test_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = server.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    Matcher m = URL.matcher(server.url());
    if (!m.matches()) {
      throw new IllegalArgumentException(ENV + " is not a jdbc:postgresql://host:port/db URL");
    }
    JdbcConfig database =
        new JdbcConfig(m.group(1) + name + (m.group(3) == null ? "" : m.group(3)), null, null);
    database.applySchema();
    return database;
  }

  private static synchronized String serverUrl() {
    if (serverUrl == null) {
      String fromEnv = System.getenv(ENV);
      if (fromEnv != null && !fromEnv.isBlank()) {
        serverUrl = fromEnv;
      } else {
        if (new UnixSystem().getUid() == 0) {
          throw new IllegalStateException(
              "Tests need PostgreSQL: set "
                  + ENV
                  + "=jdbc:postgresql://127.0.0.1:5432/test?user=postgres,"
                  + " or run as a non-root user so the embedded PostgreSQL can start"
                  + " (initdb refuses to run as root).");
        }
        try {
          EmbeddedPostgres postgres =
              EmbeddedPostgres.builder()
                  .setDataDirectory(Files.createTempDirectory("shopstream-test-pg"))
                  .start();
          Runtime.getRuntime().addShutdownHook(new Thread(() -> close(postgres)));
          serverUrl = postgres.getJdbcUrl("postgres", "postgres");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return serverUrl;
  }

  private static void close(EmbeddedPostgres postgres) {
    try {
      postgres.close();
    } catch (IOException ignored) {
      // the JVM is exiting; the temp data folder goes with the OS's temp cleanup
    }
  }

  private static final int DROP_TIMEOUT_SECONDS = 180;

  /** Drops a database made by {@link #create()}, closing whatever still uses it. */
  public static void drop(JdbcConfig database) throws SQLException {
    Matcher m = URL.matcher(database.url());
    if (m.matches()) {
      // DROP DATABASE waits for a checkpoint, which a busy server (a fault test writing beside
      // it) takes longer than the usual timeout to finish.
      try (Connection c = new JdbcConfig(serverUrl(), null, null, DROP_TIMEOUT_SECONDS).connect();
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + m.group(2) + " WITH (FORCE)");
      }
    }
  }

  /** Runs a query and returns every row as a list of column strings. */
  public static List<List<String>> query(JdbcConfig database, String sql) throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = database.connect();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      int columns = r.getMetaData().getColumnCount();
      while (r.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          row.add(r.getString(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** Runs a statement that returns no rows (DDL). */
  public static void execute(JdbcConfig database, String sql) throws SQLException {
    try (Connection c = database.connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  public static long count(JdbcConfig database, String sql) throws SQLException {
    return Long.parseLong(query(database, sql).get(0).get(0));
  }

  /** Waits until the pipeline is in the middle of writing a file version to PostgreSQL. */
  public static void awaitWrite(JdbcConfig database) throws Exception {
    try (Connection c = database.connect();
        Statement s = c.createStatement()) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (System.nanoTime() < deadline) {
        try (ResultSet r =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND state = 'active' AND (query LIKE 'COPY ingest_batch%'"
                    + " OR query LIKE 'WITH stored%')")) {
          r.next();
          if (r.getLong(1) > 0) {
            return;
          }
        }
        TimeUnit.MILLISECONDS.sleep(2);
      }
      throw new AssertionError("no write seen within 2 minutes");
    }
  }
}
