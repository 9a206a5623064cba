package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.security.auth.module.UnixSystem;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The PostgreSQL the pipeline starts when no --jdbcUrl is given. CI runs this as non-root too. */
@Timeout(180)
class EmbeddedDatabaseTest {

  @TempDir Path dir;

  private static boolean root() {
    return new UnixSystem().getUid() == 0;
  }

  @Test
  void keepsItsDataAcrossRestarts() throws Exception {
    assumeFalse(root(), "initdb refuses to run as root; CI runs this test as a normal user");
    Path data = dir.resolve("postgres");
    int port = Ports.free();
    try (EmbeddedPostgres postgres = EmbeddedDatabase.start(data, port)) {
      JdbcConfig database = new JdbcConfig(EmbeddedDatabase.jdbcUrl(postgres), null, null);
      database.applySchema();
      database.applySchema(); // safe to start twice
      try (Connection c = database.connect();
          Statement s = c.createStatement()) {
        s.execute(
            "INSERT INTO user_events (event_id, user_id, product_id, product_name, category,"
                + " price, event_type, event_time, source_file, source_line) VALUES ('e1', 'u1',"
                + " 'p1', 'Shoes', 'Clothing', 1, 'view', now(), 'a.csv', 2)");
      }
    }
    try (EmbeddedPostgres postgres = EmbeddedDatabase.start(data, port)) {
      JdbcConfig database = new JdbcConfig(EmbeddedDatabase.jdbcUrl(postgres), null, null);
      assertEquals(1, TestDatabase.count(database, "SELECT count(*) FROM user_events"));
    }
  }

  @Test
  void asRootSaysWhyItCannotStartAndWhatToDo() {
    assumeTrue(root());
    EmbeddedDatabase.UnavailableException e =
        assertThrows(
            EmbeddedDatabase.UnavailableException.class,
            () -> EmbeddedDatabase.start(dir.resolve("postgres"), 54399));
    assertTrue(e.getMessage().contains("root"), e.getMessage());
    assertTrue(e.getMessage().contains("--jdbcUrl"), e.getMessage());
  }
}
