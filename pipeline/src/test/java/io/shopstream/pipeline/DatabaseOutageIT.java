package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.shopstream.pipeline.store.JdbcConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL goes away while files keep landing: first a 20 s outage (a proxy between pipeline and
 * database refuses and drops connections), then a restart-like loss of every connection. The
 * pipeline (SparkRunner local[2]) keeps running, retries, and ends with every row stored once.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DatabaseOutageIT {

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  private PipelineResult result;
  private TcpProxy proxy;

  /**
   * The pipeline stops first, while the database is reachable through the proxy: a version emitted
   * again while it was stored is retried for ever against a closed proxy (it would be a skip once
   * it reached the ledger), and Spark's stop waits for the slot it holds.
   */
  @AfterEach
  void stop() throws Exception {
    if (result != null) {
      result.cancel();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  @Test
  void outagesDelayRowsButLoseAndDuplicateNone() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 6, 7);
    URI server = URI.create(database.url().substring("jdbc:".length()));
    proxy = new TcpProxy(server.getHost(), server.getPort());
    String viaProxy =
        database.url().replace(":" + server.getPort() + "/", ":" + proxy.port() + "/");
    result =
        ShopstreamPipeline.run(
            ShopstreamPipeline.parse(
                "--runner=SparkRunner",
                "--sparkMaster=local[2]",
                "--checkpointDir=" + work.resolve("checkpoint"),
                "--inputDir=" + in,
                "--errorDir=" + Files.createDirectories(work.resolve("error")),
                "--jdbcUrl=" + viaProxy));

    GeneratedFiles.land(files.get(0), in);
    long first = GeneratedFiles.expected(files.subList(0, 1), in).events().size();
    awaitTrue(() -> LandingScenario.storedRows(database) == first, "the first file stored");

    proxy.cut();
    long outageEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (Path file : files.subList(1, 3)) {
      GeneratedFiles.land(file, in);
    }
    TimeUnit.NANOSECONDS.sleep(outageEnds - System.nanoTime()); // the outage lasts 20 s
    assertEquals(first, LandingScenario.storedRows(database), "nothing got through the outage");
    proxy.restore();
    long three = GeneratedFiles.expected(files.subList(0, 3), in).events().size();
    awaitTrue(() -> LandingScenario.storedRows(database) == three, "rows stored after it");

    // A database restart, as the pipeline sees it: every connection is terminated.
    for (Path file : files.subList(3, 6)) {
      GeneratedFiles.land(file, in);
      terminateConnections(database);
    }
    long all = GeneratedFiles.expected(files, in).events().size();
    awaitTrue(() -> LandingScenario.storedRows(database) == all, "every row stored once");
  }

  private static void terminateConnections(JdbcConfig database) throws Exception {
    try (Connection c = database.connect();
        Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    }
  }
}
