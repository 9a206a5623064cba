package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopstream.pipeline.core.store.JdbcConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A canary password, given in {@code SHOPSTREAM_JDBC_PASSWORD} and then on the command line, must
 * appear in none of the pipeline's outputs: its console and log, its error files, the status page's
 * API, {@code /metrics}, {@code /health}, and Spark's UI environment page (SparkRunner from the
 * bundled jar, as users run it). PostgreSQL here trusts every local login, so the password is sent
 * and ignored: the pipeline really runs with it.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SecretsIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();

  @Test
  void aPasswordFromTheEnvironmentAppearsInNoOutput() throws Exception {
    String canary = "canary-env-7Hq2xZ";
    String console =
        runAndCheck("env", Map.of(ShopstreamPipeline.PASSWORD_ENV, canary), List.of(), canary);
    assertFalse(console.contains("visible to every user"), "no warning: " + console);
  }

  @Test
  void aPasswordOnTheCommandLineIsWarnedAboutAndAppearsInNoOutput() throws Exception {
    String canary = "canary-argv-9Kd4wQ";
    String console = runAndCheck("argv", Map.of(), List.of("--jdbcPassword=" + canary), canary);
    assertEquals(
        1,
        console.lines().filter(l -> l.contains("--jdbcPassword on the command line")).count(),
        "one warning line pointing to the variable: " + console);
    assertTrue(console.contains(ShopstreamPipeline.PASSWORD_ENV));
  }

  @Test
  void replayWarnsOfAPasswordOnTheCommandLineAndPrintsItNowhere() throws Exception {
    String canary = "canary-replay-3Vb8nR";
    Path log = work.resolve("replay.log");
    try (JavaProcess replay =
        JavaProcess.start(
            log,
            JavaProcess.BUNDLED_CLASSPATH,
            ReplayErrors.class.getName(),
            List.of(
                "--inputDir=" + Files.createDirectories(work.resolve("replay-raw")),
                "--errorDir=" + Files.createDirectories(work.resolve("replay-error")),
                "--jdbcUrl=" + fresh.config().url(),
                "--jdbcPassword=" + canary))) {
      assertTrue(replay.process.waitFor(2, TimeUnit.MINUTES), "replay did not end");
      String console = Files.readString(log);
      assertEquals(0, replay.process.exitValue(), console);
      assertEquals(
          1,
          console.lines().filter(l -> l.startsWith("replay: warning: --jdbcPassword")).count(),
          "one warning line pointing to the variable: " + console);
      assertTrue(console.contains(ShopstreamPipeline.PASSWORD_ENV), console);
      assertFalse(console.contains(canary), "the password printed: " + console);
    }
  }

  /** Runs the pipeline until a file with a bad line is committed; returns its console output. */
  private String runAndCheck(
      String name, Map<String, String> env, List<String> extraArgs, String canary)
      throws Exception {
    JdbcConfig database = fresh.config();
    Path in = Files.createDirectories(work.resolve(name + "-raw"));
    Path errors = Files.createDirectories(work.resolve(name + "-error"));
    int statusPort = Ports.free();
    int sparkUi = Ports.free();
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "--runner=SparkRunner",
            "--sparkMaster=local[2]",
            "--checkpointDir=" + work.resolve(name + "-checkpoint"),
            "--inputDir=" + in,
            "--errorDir=" + errors,
            "--statusPort=" + statusPort,
            "--jdbcUrl=" + database.url()));
    args.addAll(extraArgs);
    Path log = work.resolve(name + ".log");
    try (JavaProcess pipeline =
        JavaProcess.pipeline(
            log, List.of("-Dspark.ui.enabled=true", "-Dspark.ui.port=" + sparkUi), env, args)) {
      awaitTrue(() -> Files.readString(log).contains("status page at"), "the pipeline started");
      LandingScenario.land(
          in,
          "secrets.csv",
          "e-1,u-1,p-1,Mug,Kitchen,9.99,view,2026-01-01T10:00:00Z",
          "e-2,u-1,p-1,Mug,Kitchen,not-a-price,view,2026-01-01T10:00:00Z");
      awaitTrue(() -> LandingScenario.committedFiles(database) == 1, "the file committed");
      URI status = URI.create("http://127.0.0.1:" + statusPort + "/");
      Map<String, String> outputs = new LinkedHashMap<>();
      // The page itself is static; what it shows comes from api/status.
      for (String path :
          List.of("api/status", "api/files", "api/files/1", "errors/1", "metrics", "health")) {
        outputs.put("/" + path, get(status.resolve(path)));
      }
      URI ui = URI.create("http://127.0.0.1:" + sparkUi + "/");
      outputs.put("Spark UI /environment/", get(ui.resolve("environment/")));
      JsonNode apps = new ObjectMapper().readTree(get(ui.resolve("api/v1/applications")));
      String app = apps.get(0).get("id").asText();
      String environment = get(ui.resolve("api/v1/applications/" + app + "/environment"));
      assertTrue(environment.contains("sun.java.command"), "the environment page lists it");
      outputs.put("Spark UI environment API", environment);
      try (Stream<Path> files = Files.list(errors)) {
        for (Path file : files.toList()) {
          outputs.put("error file " + file.getFileName(), Files.readString(file));
        }
      }
      assertEquals(1, outputs.keySet().stream().filter(k -> k.startsWith("error file")).count());
      outputs.put("console and log", Files.readString(log));
      for (Map.Entry<String, String> output : outputs.entrySet()) {
        assertFalse(output.getValue().isEmpty(), output.getKey() + " is empty");
        assertFalse(
            output.getValue().contains(canary), "the password appears in " + output.getKey());
      }
      return Files.readString(log);
    }
  }

  private static String get(URI uri) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), uri + ": " + response.body());
    return response.body();
  }
}
