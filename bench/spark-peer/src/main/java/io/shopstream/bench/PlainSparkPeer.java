package io.shopstream.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.to_timestamp;
import static org.apache.spark.sql.functions.trim;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The job a data engineer would write instead of shopstream, for bench/run.sh to measure against:
 * Spark Structured Streaming reads the CSV files landing in a folder with an explicit schema and a
 * corrupt-record column, and every second ({@code foreachBatch}) sends the lines that break the
 * validity rules to JSON error files, drops duplicate ids and inserts the rest in batches with
 * {@code INSERT ... ON CONFLICT (event_id) DO NOTHING}, a connection per partition. It keeps no
 * file ledger and no minute windows; its own checkpoint is all it knows of what it has read.
 *
 * <p>{@code --inputDir= --errorDir= --checkpointDir= --jdbcUrl= [--master=local[2]]}
 */
public final class PlainSparkPeer {

  private static final List<String> FIELDS =
      List.of(
          "event_id",
          "user_id",
          "product_id",
          "product_name",
          "category",
          "price",
          "event_type",
          "timestamp");

  private static final int ROWS_PER_BATCH = 5000;

  private static final String INSERT =
      "INSERT INTO user_events (event_id, user_id, product_id, product_name, category, price,"
          + " event_type, event_time, source_file, source_line)"
          + " VALUES (?, ?, ?, ?, ?, ?::numeric, ?, ?::timestamptz, ?, 0)"
          + " ON CONFLICT (event_id) DO NOTHING";

  private PlainSparkPeer() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>(Map.of("master", "local[2]"));
    for (String arg : args) {
      String[] pair = arg.replaceFirst("^--", "").split("=", 2);
      options.put(pair[0], pair[1]);
    }
    SparkSession spark =
        SparkSession.builder()
            .appName("plain-spark-peer")
            .master(options.get("master"))
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    StructType schema = new StructType();
    for (String field : FIELDS) {
      schema = schema.add(field, DataTypes.StringType);
    }
    schema = schema.add("_corrupt_record", DataTypes.StringType);
    Dataset<Row> lines =
        spark
            .readStream()
            .schema(schema)
            .option("header", "true")
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "_corrupt_record")
            .csv(options.get("inputDir"))
            .withColumn("source_file", input_file_name());
    String errorDir = options.get("errorDir");
    String jdbcUrl = options.get("jdbcUrl") + "&reWriteBatchedInserts=true";
    lines
        .writeStream()
        .trigger(Trigger.ProcessingTime("1 second"))
        .option("checkpointLocation", options.get("checkpointDir"))
        .foreachBatch(
            (VoidFunction2<Dataset<Row>, Long>)
                (batch, id) -> {
                  batch.persist();
                  batch.filter(not(valid())).write().mode(SaveMode.Append).json(errorDir);
                  batch
                      .filter(valid())
                      .dropDuplicates("event_id")
                      .foreachPartition(
                          (ForeachPartitionFunction<Row>) rows -> insert(rows, jdbcUrl));
                  batch.unpersist();
                })
        .start()
        .awaitTermination();
  }

  /** shopstream's validity rules, as Spark SQL says them. */
  private static Column valid() {
    Column valid = col("_corrupt_record").isNull();
    for (String field : FIELDS) {
      int limit = field.equals("product_name") ? 255 : 64;
      valid =
          valid
              .and(col(field).isNotNull())
              .and(length(trim(col(field))).gt(0))
              .and(length(col(field)).leq(limit));
    }
    return valid
        .and(col("price").rlike("^[0-9]{1,8}(\\.[0-9]{1,2})?$"))
        .and(col("event_type").isin("view", "add_to_cart", "purchase"))
        .and(to_timestamp(col("timestamp")).isNotNull());
  }

  /** A partition's rows, inserted in batches in one transaction. */
  private static void insert(Iterator<Row> rows, String jdbcUrl) throws SQLException {
    try (Connection connection = DriverManager.getConnection(jdbcUrl);
        PreparedStatement insert = connection.prepareStatement(INSERT)) {
      connection.setAutoCommit(false);
      int batched = 0;
      while (rows.hasNext()) {
        Row row = rows.next();
        for (int i = 0; i < FIELDS.size(); i++) {
          insert.setString(i + 1, row.getString(i));
        }
        insert.setString(FIELDS.size() + 1, row.getAs("source_file"));
        insert.addBatch();
        if (++batched % ROWS_PER_BATCH == 0) {
          insert.executeBatch();
        }
      }
      insert.executeBatch();
      connection.commit();
    }
  }
}
