package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1 (a master and a worker, from Spark's Maven jars),
 * the bundled jar submitted with Spark's own SparkSubmit, and the landing scenario checked in
 * PostgreSQL and in the error folder.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SparkClusterIT {

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  @Test
  void bundledJarRunsOnAStandaloneCluster() throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve("raw"));
    Path errors = Files.createDirectories(work.resolve("error"));
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
        JavaProcess ignoredWorker =
            JavaProcess.start(
                work.resolve("worker.log"),
                JavaProcess.SPARK_JARS,
                "org.apache.spark.deploy.worker.Worker",
                List.of(
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "2",
                    "--memory",
                    "1g",
                    "--webui-port",
                    "" + Ports.free(),
                    "--work-dir",
                    work.resolve("worker").toString(),
                    master))) {
      awaitTrue(() -> aliveWorkers(masterUi) == 1, "a worker registered with the master");

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
                  "--conf",
                  "spark.executor.memory=768m",
                  JavaProcess.BUNDLED_JAR.toString(),
                  "--runner=SparkRunner",
                  "--sparkMaster=" + master,
                  "--inputDir=" + in,
                  "--errorDir=" + errors,
                  "--checkpointDir=" + work.resolve("checkpoint"),
                  "--jdbcUrl=" + database.url()))) {
        LandingScenario.land(in, database);
        LandingScenario.assertOutcome(database, errors);
      }
    }
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
