package io.shopstream.pipeline;

import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.store.JdbcConfig;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * The pipeline's options (docs/reference.md). The SparkRunner's own ({@code --sparkMaster}, {@code
 * --checkpointDir}, {@code --batchIntervalMillis}) are accepted too, and so are Beam's S3 ({@code
 * --endpoint}, {@code --awsRegion}) and HDFS ({@code --hdfsConfiguration}) options for landing
 * zones on {@code s3://} and {@code hdfs://}.
 */
public interface ShopstreamOptions extends PipelineOptions, StreamingOptions {

  @Description(
      "Folder watched for input files (*.csv, *.jsonl, either gzipped as .gz); every version not"
          + " in the file ledger is read.")
  @Default.String("data/raw")
  String getInputDir();

  void setInputDir(String value);

  @Description("Folder the error records (JSON Lines) are written to.")
  @Default.String("data/error")
  String getErrorDir();

  void setErrorDir(String value);

  @Description(
      "PostgreSQL JDBC URL. When absent, an embedded PostgreSQL is started with its data under"
          + " data/postgres.")
  String getJdbcUrl();

  void setJdbcUrl(String value);

  @Description("Database user.")
  String getJdbcUser();

  void setJdbcUser(String value);

  @Description("Database password; the environment variable SHOPSTREAM_JDBC_PASSWORD also works.")
  String getJdbcPassword();

  void setJdbcPassword(String value);

  @Description(
      "How often the input folder is listed, in seconds (fractions allowed), where the file"
          + " system gives no landing notices (S3, HDFS). A local folder is looked at file by file"
          + " as files land or change in it, and listed whole once a minute.")
  @Default.Double(1)
  double getPollIntervalSeconds();

  void setPollIntervalSeconds(double value);

  @Description(
      "Every database call gives up after this many seconds without an answer (statement,"
          + " socket read, connecting, an idle transaction on the server); the work is retried on"
          + " a new connection. Sized for the largest write the ingest sends, a 4 MiB chunk,"
          + " which takes about a second; raise it for a server much slower than that.")
  @Default.Integer(JdbcConfig.DEFAULT_TIMEOUT_SECONDS)
  int getDatabaseTimeoutSeconds();

  void setDatabaseTimeoutSeconds(int value);

  @Description(
      "DirectRunner: a file version found and not committed after this many seconds is read"
          + " again, a safety net for work a runner lost. Raise it if single files take longer to"
          + " ingest. (The SparkRunner reads again what a micro-batch did not commit.)")
  @Default.Integer(600)
  int getInFlightTimeoutSeconds();

  void setInFlightTimeoutSeconds(int value);

  @Description(
      "What becomes of an input file once its version is committed: keep (leave it), archive"
          + " (move it to --archiveDir, named after the file plus its version) or delete.")
  @Default.Enum("keep")
  ProcessedFiles.Action getProcessedAction();

  void setProcessedAction(ProcessedFiles.Action value);

  @Description(
      "What becomes of values in columns beyond the eight (a CSV header's other columns, a JSON"
          + " object's other keys): rescue (kept per row in user_events.extras), ignore (not"
          + " stored; the ledger still counts them per column) or reject (each such line an"
          + " EXTRA_COLUMNS error record).")
  @Default.Enum("rescue")
  ExtraColumns getExtraColumns();

  void setExtraColumns(ExtraColumns value);

  @Description("Folder committed files are moved to with --processedAction=archive.")
  @Default.String("data/archive")
  String getArchiveDir();

  void setArchiveDir(String value);

  @Description(
      "Address S3 buckets by path (http://endpoint/bucket/key) instead of by host name, as most"
          + " S3-compatible stores (MinIO, Ceph, s3proxy) behind an --endpoint need.")
  @Default.Boolean(false)
  boolean getS3PathStyleAccess();

  void setS3PathStyleAccess(boolean value);

  @Description("Seconds between progress lines on the console.")
  @Default.Integer(10)
  int getProgressIntervalSeconds();

  void setProgressIntervalSeconds(int value);

  @Description(
      "Port of the status server in the driver: the live page /, /metrics (Prometheus), /api/files"
          + " and /health. 0 turns it off.")
  @Default.Integer(8088)
  int getStatusPort();

  void setStatusPort(int value);

  @Description("Address the status server listens on; 0.0.0.0 for every interface.")
  @Default.String("127.0.0.1")
  String getStatusHost();

  void setStatusHost(String value);

  @Description("Port of the embedded PostgreSQL (used when --jdbcUrl is absent).")
  @Default.Integer(54320)
  int getEmbeddedPostgresPort();

  void setEmbeddedPostgresPort(int value);
}
