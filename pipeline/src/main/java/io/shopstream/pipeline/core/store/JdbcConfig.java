package io.shopstream.pipeline.core.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Where the events are stored, and how long any call there may take; travels to the workers with
 * the transforms that use it.
 *
 * <p>Every connection is bounded by {@code timeoutSeconds}: connecting, each socket read, each
 * statement and each idle moment of a transaction (the last two on the server), so a database host
 * that stops answering without closing its connections is noticed on both sides. The server gives
 * up first and the client a little later: the server's cancel leaves a usable connection and frees
 * the transaction's locks; the client's socket timeout covers a server that cannot even say so.
 */
public record JdbcConfig(String url, String user, String password, int timeoutSeconds)
    implements Serializable {

  /** A 4 MiB chunk takes about a second to store; thirty times that is a host gone, not slow. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 30;

  /** How much longer the client waits than the server, for the server's answer to arrive. */
  private static final int CLIENT_MARGIN_SECONDS = 5;

  /** Connecting takes milliseconds; a host that does not answer a connect in this is gone. */
  private static final int MAX_CONNECT_SECONDS = 10;

  /** One pool per worker JVM and configuration. */
  private static final Map<JdbcConfig, HikariDataSource> POOLS = new ConcurrentHashMap<>();

  public JdbcConfig(String url, String user, String password) {
    this(url, user, password, DEFAULT_TIMEOUT_SECONDS);
  }

  /**
   * The pool of this JVM for this database. A connection that failed is aborted by its user and
   * found closed when the pool validates it, so a retry always gets a live one.
   */
  public DataSource pooledDataSource() {
    return POOLS.computeIfAbsent(
        this,
        config -> {
          HikariConfig pool = new HikariConfig();
          pool.setPoolName("shopstream");
          pool.setJdbcUrl(url);
          pool.setDataSourceProperties(bounded(timeoutSeconds));
          pool.setConnectionTimeout(1000L * (connectSeconds() + CLIENT_MARGIN_SECONDS));
          pool.setValidationTimeout(1000L * connectSeconds());
          pool.setMinimumIdle(0);
          pool.setMaximumPoolSize(8);
          pool.setInitializationFailTimeout(-1); // the database may be down when a worker starts
          return new HikariDataSource(pool);
        });
  }

  /** A connection bounded by this configuration's timeout. */
  public Connection connect() throws SQLException {
    return connect(timeoutSeconds);
  }

  /** A connection whose every call gives up after {@code seconds}. */
  public Connection connect(int seconds) throws SQLException {
    return DriverManager.getConnection(url, bounded(seconds));
  }

  private int connectSeconds() {
    return Math.min(timeoutSeconds, MAX_CONNECT_SECONDS);
  }

  /** The credentials and every bound, as pgjdbc's connection properties. */
  private Properties bounded(int seconds) {
    Properties properties = new Properties();
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
    String connect = Integer.toString(Math.min(seconds, MAX_CONNECT_SECONDS));
    properties.setProperty("connectTimeout", connect);
    properties.setProperty("loginTimeout", connect);
    properties.setProperty("socketTimeout", Integer.toString(seconds + CLIENT_MARGIN_SECONDS));
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty(
        "options",
        "-c statement_timeout="
            + seconds
            + "s -c idle_in_transaction_session_timeout="
            + seconds
            + "s");
    properties.setProperty("ApplicationName", "shopstream");
    return properties;
  }

  /** Applies {@code sql/schema.sql}; safe to run any number of times, also concurrently. */
  public void applySchema() throws SQLException, IOException {
    String ddl;
    try (InputStream in = JdbcConfig.class.getResourceAsStream("/sql/schema.sql")) {
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Connection connection = connect()) {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        statement.execute("SELECT pg_advisory_xact_lock(hashtext('shopstream schema'))");
        statement.execute(ddl);
      }
      connection.commit();
    }
  }

  @Override
  public String toString() {
    // Never the password, also when the URL carries one.
    return url.replaceAll("(?i)(password=)[^&]*", "$1***") + (user == null ? "" : " as " + user);
  }
}
