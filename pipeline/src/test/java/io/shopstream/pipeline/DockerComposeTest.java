package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml cannot run here (no Docker engine): check it against the Compose
 * specification's JSON schema, and that it says what the README promises: the services, their
 * images, ports and mounts, and the order they start in.
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

  /**
   * Validated against {@code compose-spec.json} from github.com/compose-spec/compose-spec (Apache
   * 2.0, commit 170098ba) by networknt's JSON Schema validator. The same file with a misspelt key
   * must fail, so the check can fail.
   */
  @Test
  @SuppressWarnings("unchecked")
  void followsTheComposeSpecification() throws Exception {
    Schema schema;
    try (InputStream spec = Files.newInputStream(Path.of("src/test/resources/compose-spec.json"))) {
      // Its $id is relative: it is resolved against where the file comes from.
      schema =
          SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
              .getSchema(
                  SchemaLocation.of("https://github.com/compose-spec/compose-spec/"),
                  spec,
                  InputFormat.JSON);
    }
    Map<String, Object> compose;
    try (Reader reader = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
      compose = new Yaml().load(reader);
    }
    ObjectMapper json = new ObjectMapper();
    assertEquals(List.of(), schema.validate(json.valueToTree(compose)), "docker-compose.yml");
    ((Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("postgres"))
        .put("port", List.of("5432:5432"));
    assertFalse(schema.validate(json.valueToTree(compose)).isEmpty(), "a misspelt key is caught");
  }

  @Test
  void servicesAndImages() {
    assertEquals(
        List.of(
            "postgres",
            "spark-master",
            "spark-worker",
            "pipeline",
            "s3",
            "s3-landing",
            "pipeline-s3"),
        List.copyOf(services.keySet()));
    assertEquals("postgres:15", services.get("postgres").get("image"));
    for (String spark : List.of("spark-master", "spark-worker", "pipeline", "pipeline-s3")) {
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
  void theStatusServerIsReachableFromTheHostsLoopbackOnly() {
    assertTrue(list("pipeline", "command").contains("--statusHost=0.0.0.0"));
    assertTrue(list("pipeline", "ports").contains("127.0.0.1:8088:8088"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void anS3CompatibleStoreIsAnOptionWithCredentialsInTheEnvironment() {
    for (String service : List.of("s3", "s3-landing", "pipeline-s3")) {
      assertEquals(List.of("s3"), services.get(service).get("profiles"), service);
    }
    List<String> command = list("pipeline-s3", "command");
    for (String option :
        List.of(
            "--inputDir=s3://shopstream/raw",
            "--errorDir=s3://shopstream/error",
            "--endpoint=http://s3:80",
            "--s3PathStyleAccess")) {
      assertTrue(command.contains(option), "pipeline-s3 command lacks " + option);
    }
    assertTrue(command.stream().noneMatch(arg -> arg.contains("secret")), command.toString());
    for (String service : List.of("pipeline-s3", "spark-worker")) { // driver and executors
      Map<String, String> env = (Map<String, String>) services.get(service).get("environment");
      assertTrue(env.containsKey("AWS_SECRET_ACCESS_KEY"), service + " has the S3 credentials");
    }
    assertTrue(list("pipeline-s3", "ports").contains("127.0.0.1:8089:8088"));
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
