package io.shopstream.pipeline.store;

import io.shopstream.pipeline.ShopstreamOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/** Where the events are stored; travels to the workers with the transforms that use it. */
public record JdbcConfig(String url, String user, String password) implements Serializable {

  /** The database the options name. */
  public static JdbcConfig of(ShopstreamOptions options) {
    return new JdbcConfig(options.getJdbcUrl(), options.getJdbcUser(), options.getJdbcPassword());
  }

  /** A pooled data source, one pool per worker JVM and configuration (JdbcIO's own cache). */
  DataSource pooledDataSource() {
    JdbcIO.DataSourceConfiguration config =
        JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", url);
    if (user != null) {
      config = config.withUsername(user);
    }
    if (password != null) {
      config = config.withPassword(password);
    }
    return JdbcIO.PoolableDataSourceProvider.of(config).apply(null);
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url, credentials());
  }

  /** A connection that gives up after {@code seconds} connecting or waiting for an answer. */
  public Connection connect(int seconds) throws SQLException {
    Properties properties = credentials();
    for (String timeout : new String[] {"loginTimeout", "connectTimeout", "socketTimeout"}) {
      properties.setProperty(timeout, Integer.toString(seconds));
    }
    return DriverManager.getConnection(url, properties);
  }

  private Properties credentials() {
    Properties properties = new Properties();
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
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
