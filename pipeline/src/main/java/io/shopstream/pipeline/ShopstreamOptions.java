package io.shopstream.pipeline;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * The pipeline's options (SPEC.md section 2). The SparkRunner's own ({@code --sparkMaster}, {@code
 * --checkpointDir}, {@code --batchIntervalMillis}) are accepted too.
 */
public interface ShopstreamOptions extends PipelineOptions, StreamingOptions {

  @Description("Folder watched for new *.csv files.")
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

  @Description("How often the input folder is listed, in seconds.")
  @Default.Integer(1)
  int getPollIntervalSeconds();

  void setPollIntervalSeconds(int value);

  @Description("Fixed window for de-duplication and writes, in seconds.")
  @Default.Integer(5)
  int getWindowSeconds();

  void setWindowSeconds(int value);

  @Description(
      "A landed file is read when its modification time is at most this many seconds older than"
          + " the newest file already read (bounds the watcher's memory).")
  @Default.Integer(3600)
  int getFileSettleSeconds();

  void setFileSettleSeconds(int value);

  @Description("Rows per write transaction.")
  @Default.Integer(5000)
  int getWriteBatchSize();

  void setWriteBatchSize(int value);

  @Description(
      "Groups per window for de-duplication and writing: the writes of a window run this many"
          + " ways in parallel.")
  @Default.Integer(8)
  int getWriteShards();

  void setWriteShards(int value);

  @Description("Seconds between progress lines on the console.")
  @Default.Integer(10)
  int getProgressIntervalSeconds();

  void setProgressIntervalSeconds(int value);

  @Description("Port of the embedded PostgreSQL (used when --jdbcUrl is absent).")
  @Default.Integer(54320)
  int getEmbeddedPostgresPort();

  void setEmbeddedPostgresPort(int value);
}
