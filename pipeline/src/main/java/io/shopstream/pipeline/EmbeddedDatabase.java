package io.shopstream.pipeline;

import com.sun.security.auth.module.UnixSystem;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The PostgreSQL started when no {@code --jdbcUrl} is given; its data stays in {@code dataDir}. */
public final class EmbeddedDatabase {

  private EmbeddedDatabase() {}

  /** Thrown when the embedded server cannot run here; the message tells the user what to do. */
  public static final class UnavailableException extends RuntimeException {
    UnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static EmbeddedPostgres start(Path dataDir, int port) {
    if (new UnixSystem().getUid() == 0) {
      throw new UnavailableException(
          "the embedded PostgreSQL refuses to run as root (initdb will not); run as a normal user,"
              + " or pass --jdbcUrl=jdbc:postgresql://HOST:PORT/DB of a PostgreSQL server",
          null);
    }
    try {
      Files.createDirectories(dataDir);
      return EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(port)
          .start();
    } catch (IOException | RuntimeException e) {
      throw new UnavailableException(
          "the embedded PostgreSQL did not start on port "
              + port
              + " with data in "
              + dataDir
              + " ("
              + e.getMessage()
              + "); pass --embeddedPostgresPort or --jdbcUrl",
          e);
    }
  }

  public static String jdbcUrl(EmbeddedPostgres postgres) {
    return postgres.getJdbcUrl("postgres", "postgres");
  }
}
