package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml cannot run here (no Docker engine): check that it says what the README
 * promises: the services, their images, ports and mounts, and the order they start in.
 */
class DockerComposeTest {

  private static final Path ROOT = Path.of("..");
  private static final String DATA = "./data:/opt/shopstream/data";
  private static Map<String, Map<String, Object>> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void parse() throws IOException {
    try (Reader reader = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
      Map<String, Object> compose = new Yaml().load(reader);
      services = (Map<String, Map<String, Object>>) compose.get("services");
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> list(String service, String key) {
    return (List<String>) services.get(service).get(key);
  }

  @Test
  void servicesAndImages() {
    assertEquals(
        List.of("postgres", "spark-master", "spark-worker", "pipeline"),
        List.copyOf(services.keySet()));
    assertEquals("postgres:15", services.get("postgres").get("image"));
    for (String spark : List.of("spark-master", "spark-worker", "pipeline")) {
      String image = (String) services.get(spark).get("image");
      assertTrue(image.matches("apache/spark:3\\.5\\.\\d+-scala2\\.12-java17-.*"), image);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void postgresGetsTheSchemaAndAHealthcheckThePipelineWaitsOn() {
    assertTrue(list("postgres", "ports").contains("5432:5432"));
    assertTrue(
        list("postgres", "volumes")
            .contains("./sql/schema.sql:/docker-entrypoint-initdb.d/01-schema.sql:ro"));
    assertTrue(Files.exists(ROOT.resolve("sql/schema.sql")));
    Map<String, Object> health = (Map<String, Object>) services.get("postgres").get("healthcheck");
    assertTrue(health.get("test").toString().contains("pg_isready"));
    Map<String, Map<String, String>> dependsOn =
        (Map<String, Map<String, String>>) services.get("pipeline").get("depends_on");
    assertEquals("service_healthy", dependsOn.get("postgres").get("condition"));
    assertTrue(dependsOn.keySet().containsAll(List.of("spark-master", "spark-worker")));
  }

  @Test
  void sparkPortsAndTheSameDataPathEverywhere() {
    assertTrue(list("spark-master", "ports").containsAll(List.of("7077:7077", "8080:8080")));
    assertTrue(list("spark-worker", "ports").contains("8081:8081"));
    for (String spark : List.of("spark-master", "spark-worker", "pipeline")) {
      assertTrue(list(spark, "volumes").contains(DATA), spark + " mounts " + DATA);
    }
  }

  @Test
  void theStatusServerIsReachableFromTheHost() {
    assertTrue(list("pipeline", "command").contains("--statusHost=0.0.0.0"));
    assertTrue(list("pipeline", "ports").contains("8088:8088"));
  }

  @Test
  void pipelineSubmitsTheBundledJarToTheMaster() {
    List<String> command = list("pipeline", "command");
    assertTrue(command.contains("--class"));
    assertTrue(command.contains(ShopstreamPipeline.class.getName()));
    String jar = System.getProperty("shopstream.bundledJarName");
    assertTrue(command.contains("/opt/shopstream/jars/" + jar), command + " runs " + jar);
    assertTrue(list("pipeline", "volumes").contains("./pipeline/target:/opt/shopstream/jars:ro"));
    for (String option :
        List.of(
            "--runner=SparkRunner",
            "--sparkMaster=spark://spark-master:7077",
            "--inputDir=/opt/shopstream/data/raw",
            "--errorDir=/opt/shopstream/data/error",
            "--checkpointDir=/opt/shopstream/data/checkpoint",
            "--jdbcUrl=jdbc:postgresql://postgres:5432/shopstream")) {
      assertTrue(command.contains(option), "pipeline command lacks " + option);
    }
  }
}
