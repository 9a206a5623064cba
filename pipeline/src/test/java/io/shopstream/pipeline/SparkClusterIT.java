package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1 (a master and two workers of one core each, from
 * Spark's Maven jars), the bundled jar submitted with Spark's own SparkSubmit. The landing scenario
 * is checked in PostgreSQL and in the error folder; then a worker whose executor is inside an
 * ingest transaction is killed with SIGKILL, executor and all: every event must be stored once,
 * every error record written once, and nothing committed by the dead executor after its death.
 * (Which worker reads which file is Spark's placement, not guaranteed to spread: the test does not
 * assert it.)
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SparkClusterIT {

  /** Where the two-worker run's figures go; bench/results/two-workers.jsonl keeps a copy. */
  private static final Path FIGURES = Path.of("target", "two-workers.json");

  /** Kept when the test fails: the master's, workers' and driver's logs in it say why. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path work;

  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  @Test
  void bundledJarRunsOnTwoWorkersAndSurvivesLosingOne() throws Exception {
    System.out.println("SparkClusterIT: logs in " + work + " (kept if it fails)");
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
    List<Path> files = GeneratedFiles.generate(work.resolve("staging"), 15, 21);
    List<Path> large = GeneratedFiles.generate(work.resolve("large"), 2, 150_000, 22);
    int masterPort = Ports.free();
    int masterUi = Ports.free();
    String master = "spark://127.0.0.1:" + masterPort;

    try (JavaProcess ignoredMaster =
            JavaProcess.start(
                work.resolve("master.log"),
                JavaProcess.SPARK_JARS,
                "org.apache.spark.deploy.master.Master",
                List.of(
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "" + masterPort,
                    "--webui-port",
                    "" + masterUi));
        JavaProcess worker1 = worker("worker-1", master);
        JavaProcess worker2 = worker("worker-2", master)) {
      awaitTrue(() -> aliveWorkers(masterUi) == 2, "two workers registered with the master");

      try (JavaProcess ignoredDriver =
          JavaProcess.start(
              work.resolve("driver.log"),
              JavaProcess.SPARK_JARS,
              "org.apache.spark.deploy.SparkSubmit",
              List.of(
                  "--master",
                  master,
                  "--class",
                  ShopstreamPipeline.class.getName(),
                  "--properties-file",
                  Path.of("..", "runners", "conf", "spark-defaults.conf").toString(),
                  "--conf",
                  "spark.executor.memory=640m",
                  JavaProcess.BUNDLED_JAR.toString(),
                  "--runner=SparkRunner",
                  "--sparkMaster=" + master,
                  "--inputDir=" + in,
                  "--errorDir=" + errors,
                  "--checkpointDir=" + work.resolve("checkpoint"),
                  "--statusPort=0",
                  "--jdbcUrl=" + database.url()))) {
        LandingScenario.land(in, database);
        LandingScenario.assertOutcome(database, errors);

        // 10 files landed at once, their throughput and the workers' shares recorded.
        for (Path file : files.subList(0, 10)) {
          GeneratedFiles.land(file, in);
        }
        awaitTrue(() -> committed(database) == 10, "ten files committed");
        List<List<String>> shares =
            TestDatabase.query(
                database,
                "SELECT read_by, count(*), sum(lines) FROM ingested_files"
                    + " WHERE path LIKE '%events-%' GROUP BY 1 ORDER BY 1");
        String figures = figures(database, shares);

        // The large files land, and a worker whose executor is inside a transaction on one of them
        // is lost, executor and all; five more files land after the loss.
        for (Path file : large) {
          GeneratedFiles.land(file, in);
        }
        List<JavaProcess> workers = List.of(worker1, worker2);
        AtomicReference<List<JavaProcess>> ingesting = new AtomicReference<>(List.of());
        awaitTrue(
            () -> {
              ingesting.set(ingesting(database, workers));
              return !ingesting.get().isEmpty();
            },
            "a worker ingesting a large file");
        JavaProcess doomed = ingesting.get().get(0); // asked once: a second look may find it done
        List<ProcessHandle> executors = doomed.process.toHandle().descendants().toList();
        List<String> doomedReaders = executors.stream().map(p -> p.pid() + "@").toList();
        executors.forEach(ProcessHandle::destroyForcibly);
        doomed.kill();
        long atKill = committed(database);
        String killedAt = TestDatabase.query(database, "SELECT clock_timestamp()").get(0).get(0);
        for (Path file : files.subList(10, 15)) {
          GeneratedFiles.land(file, in);
        }
        awaitTrue(() -> committed(database) == 17, "every file committed after the loss");
        List<List<String>> after =
            TestDatabase.query(
                database,
                "SELECT read_by, count(*) FROM ingested_files WHERE path LIKE '%events-%'"
                    + " AND committed_at > '"
                    + killedAt
                    + "' GROUP BY 1");
        assertTrue(atKill < 12, "a large file was not committed before the kill");
        for (List<String> reader : after) {
          assertTrue(
              doomedReaders.stream().noneMatch(reader.get(0)::startsWith),
              "only the surviving worker commits after the kill: " + after);
        }

        List<Path> all = new ArrayList<>(files);
        all.addAll(large);
        GeneratedFiles.Expected expected = GeneratedFiles.expected(all, in);
        assertEquals(
            expected.events().size(),
            TestDatabase.count(
                database, "SELECT count(*) FROM user_events WHERE source_file LIKE '%events-%'"),
            "every event stored once");
        List<JsonNode> reported =
            LandingScenario.errorRecords(errors).stream()
                .filter(e -> e.get("source").asText().contains("events-"))
                .toList();
        assertEquals(expected.errors().size(), reported.size(), "every error record once");
        assertEquals(expected.errors(), LandingScenario.reasonsByLine(reported));
        assertEquals(
            17,
            TestDatabase.count(
                database,
                "SELECT count(DISTINCT path) FROM ingested_files WHERE path LIKE '%events-%'"),
            "one ledger row per file");
        Files.writeString(
            FIGURES,
            figures
                + String.format(
                    Locale.ROOT,
                    ", \"kill\": {\"committed_before\": %d, \"committed_after_by\": \"%s\"}}%n",
                    atKill,
                    after));
      }
    }
  }

  private JavaProcess worker(String name, String master) throws Exception {
    return JavaProcess.start(
        work.resolve(name + ".log"),
        JavaProcess.SPARK_JARS,
        "org.apache.spark.deploy.worker.Worker",
        List.of(
            "--host",
            "127.0.0.1",
            "--cores",
            "1",
            "--memory",
            "1g",
            "--webui-port",
            "" + Ports.free(),
            "--work-dir",
            work.resolve(name).toString(),
            master));
  }

  /**
   * The workers whose executor holds a ledger lock now, that is, is inside an ingest transaction:
   * the lock's PostgreSQL session, by its client port, to the executor process with that socket.
   */
  private static List<JavaProcess> ingesting(JdbcConfig database, List<JavaProcess> workers)
      throws Exception {
    Set<String> clientPorts = new HashSet<>();
    for (List<String> row :
        TestDatabase.query(
            database,
            "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database()"
                + " AND l.locktype = 'advisory' AND l.granted")) {
      clientPorts.add(String.format("%04X", Integer.parseInt(row.get(0))));
    }
    Set<String> sockets = new HashSet<>(); // "socket:[inode]" of those client connections
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        String[] fields = line.trim().split("\\s+");
        String localPort = fields[1].substring(fields[1].indexOf(':') + 1);
        if (clientPorts.contains(localPort)) {
          sockets.add("socket:[" + fields[9] + "]");
        }
      }
    }
    List<JavaProcess> holding = new ArrayList<>();
    for (JavaProcess worker : workers) {
      if (worker.process.toHandle().descendants().anyMatch(e -> holdsOneOf(e, sockets))) {
        holding.add(worker);
      }
    }
    return holding;
  }

  private static boolean holdsOneOf(ProcessHandle executor, Set<String> sockets) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", "" + executor.pid(), "fd"))) {
      return fds.anyMatch(fd -> sockets.contains(link(fd)));
    } catch (IOException exited) {
      return false; // an executor that has exited holds nothing
    }
  }

  /** Where a file descriptor points; empty if it was closed while listed. */
  private static String link(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString();
    } catch (IOException closed) {
      return "";
    }
  }

  private static long committed(JdbcConfig database) throws Exception {
    return TestDatabase.count(
        database, "SELECT count(*) FROM ingested_files WHERE path LIKE '%events-%'");
  }

  /** Lines per second from the first landing found to the last commit, and each worker's share. */
  private static String figures(JdbcConfig database, List<List<String>> shares) throws Exception {
    List<List<String>> span =
        TestDatabase.query(
            database,
            "SELECT sum(lines), extract(epoch FROM max(committed_at) - min(found_at))"
                + " FROM ingested_files WHERE path LIKE '%events-%'");
    long lines = Long.parseLong(span.get(0).get(0));
    double seconds = Double.parseDouble(span.get(0).get(1));
    StringBuilder json =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "{\"workload\": \"10 files x 2001 lines, 2 workers x 1 core\", \"lines\": %d,"
                    + " \"seconds\": %.2f, \"lines_per_second\": %.0f, \"workers\": [",
                lines,
                seconds,
                lines / seconds));
    for (int i = 0; i < shares.size(); i++) {
      json.append(i == 0 ? "" : ", ")
          .append(
              String.format(
                  Locale.ROOT,
                  "{\"read_by\": \"%s\", \"files\": %s, \"lines\": %s}",
                  shares.get(i).get(0),
                  shares.get(i).get(1),
                  shares.get(i).get(2)));
    }
    return json.append("]").toString();
  }

  private static int aliveWorkers(int masterUi) {
    try {
      String json =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(json)
          .get("aliveworkers")
          .asInt();
    } catch (Exception e) {
      return 0; // the master is still starting
    }
  }
}
