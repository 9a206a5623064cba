package io.shopstream.pipeline;

import static io.shopstream.pipeline.LandingScenario.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.shopstream.pipeline.core.store.JdbcConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.hdfs.HadoopFileSystemOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * The landing zone on an object store and on HDFS, end to end on the SparkRunner (local[2], from
 * the bundled jar, as users run it): the scenario's files land in {@code s3://} or {@code hdfs://},
 * error files are written there, and rows, error records and ledger must be exact. The servers run
 * in this JVM: s3proxy (an S3-compatible server over an in-memory store) and Hadoop's
 * MiniDFSCluster.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class RemoteLandingZonesIT {

  private static final String ACCESS_KEY = "shopstream-test";
  private static final String SECRET_KEY = "canary-secret-4Rt9Lp";

  @TempDir Path work;
  @RegisterExtension final FreshDatabase fresh = new FreshDatabase();
  private final List<AutoCloseable> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws Exception {
    for (int i = servers.size() - 1; i >= 0; i--) {
      servers.get(i).close();
    }
  }

  /**
   * S3 lists an object only once its upload is complete, and has no rename: a multipart upload left
   * open is never read, and is read once completed. Credentials come from the AWS environment
   * variables and appear in no output.
   */
  @Test
  void s3() throws Exception {
    URI endpoint = URI.create("http://127.0.0.1:" + Ports.free());
    BlobStoreContext store =
        ContextBuilder.newBuilder("transient")
            .credentials(ACCESS_KEY, SECRET_KEY)
            .build(BlobStoreContext.class);
    servers.add(store);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(endpoint)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            // Beam sends x-amz-server-side-encryption-bucket-key-enabled, which s3proxy lacks.
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    servers.add(proxy::stop);
    awaitTrue(() -> proxy.getState().equals("STARTED"), "s3proxy started");
    S3Client s3 =
        S3Client.builder()
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(s3Credentials())
            .httpClientBuilder(ApacheHttpClient.builder())
            .build();
    servers.add(s3);
    s3.createBucket(b -> b.bucket("landing"));

    S3Options options = PipelineOptionsFactory.as(S3Options.class);
    options.setEndpoint(endpoint);
    options.setAwsRegion(Region.US_EAST_1);
    options.setAwsCredentialsProvider(s3Credentials());
    options.setS3ClientFactoryClass(PathStyleS3Clients.class);
    FileSystems.setDefaultPipelineOptions(options); // the test lands and reads through Beam too

    String upload =
        s3.createMultipartUpload(b -> b.bucket("landing").key("raw/partial.csv")).uploadId();
    String part =
        s3.uploadPart(
                b -> b.bucket("landing").key("raw/partial.csv").uploadId(upload).partNumber(1),
                RequestBody.fromString(
                    "e20,u1,p1,Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z\n"))
            .eTag();
    JdbcConfig database = fresh.config();
    String console =
        runScenario(
            "s3://landing/raw",
            "s3://landing/errors",
            List.of("--endpoint=" + endpoint, "--awsRegion=us-east-1", "--s3PathStyleAccess"),
            Map.of(
                "AWS_ACCESS_KEY_ID", ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", SECRET_KEY,
                "AWS_REGION", "us-east-1"),
            () -> {
              assertEquals(
                  0,
                  TestDatabase.count(
                      database, "SELECT count(*) FROM ingested_files WHERE path LIKE '%partial%'"),
                  "an upload still open is not listed, so not read");
              s3.completeMultipartUpload(
                  b ->
                      b.bucket("landing")
                          .key("raw/partial.csv")
                          .uploadId(upload)
                          .multipartUpload(
                              CompletedMultipartUpload.builder()
                                  .parts(CompletedPart.builder().partNumber(1).eTag(part).build())
                                  .build()));
              awaitTrue(
                  () ->
                      TestDatabase.count(
                              database,
                              "SELECT count(*) FROM ingested_files"
                                  + " WHERE path = 's3://landing/raw/partial.csv' AND stored = 1")
                          == 1,
                  "the completed upload ingested");
            });
    assertFalse(console.contains(SECRET_KEY), "the secret key appears in the console: " + console);
  }

  private static StaticCredentialsProvider s3Credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
  }

  /** HDFS: Beam's Hadoop file system, configured with {@code --hdfsConfiguration}. */
  @Test
  void hdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.resolve("hdfs").toString());
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    servers.add(cluster::shutdown);
    cluster.waitActive();
    String namenode = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    cluster.getFileSystem().mkdirs(new org.apache.hadoop.fs.Path("/landing/raw"));

    HadoopFileSystemOptions options = PipelineOptionsFactory.as(HadoopFileSystemOptions.class);
    Configuration client = new Configuration(false);
    client.set("fs.defaultFS", namenode);
    options.setHdfsConfiguration(List.of(client));
    FileSystems.setDefaultPipelineOptions(options);

    runScenario(
        namenode + "/landing/raw",
        namenode + "/landing/errors",
        List.of("--hdfsConfiguration=[{\"fs.defaultFS\":\"" + namenode + "\"}]"),
        Map.of(),
        () -> {});
  }

  /**
   * Runs the pipeline on the folders, lands the scenario, checks its outcome, then runs {@code
   * more} while the pipeline still runs; returns the console.
   */
  private String runScenario(
      String in, String errors, List<String> zoneArgs, Map<String, String> env, Check more)
      throws Exception {
    JdbcConfig database = fresh.config();
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=SparkRunner",
                "--sparkMaster=local[2]",
                "--checkpointDir=" + work.resolve("checkpoint"),
                "--inputDir=" + in,
                "--errorDir=" + errors,
                "--statusPort=0",
                "--jdbcUrl=" + database.url()));
    args.addAll(zoneArgs);
    Path log = work.resolve("pipeline.log");
    try (JavaProcess pipeline = JavaProcess.pipeline(log, List.of(), env, args)) {
      awaitTrue(() -> Files.readString(log).contains("Watching"), "the pipeline started");
      LandingScenario.land(in, database);
      LandingScenario.assertOutcome(database, errors);
      more.run();
      return Files.readString(log);
    }
  }

  private interface Check {
    void run() throws Exception;
  }
}
