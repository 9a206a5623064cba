package io.shopstream.pipeline.beam;

import io.shopstream.pipeline.core.files.FileVersion;
import io.shopstream.pipeline.core.files.ProcessedFiles;
import io.shopstream.pipeline.core.files.VersionOrder;
import io.shopstream.pipeline.core.ingest.GroupIngest;
import io.shopstream.pipeline.core.ingest.GroupIngest.Found;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.store.JdbcConfig;
import io.shopstream.pipeline.core.store.Ledger;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Ingests file versions exactly once ({@link GroupIngest}): takes lists of versions found together,
 * as the watcher hands them out, and outputs each version committed, stamped with when it was
 * found. Stands where a reader would expect {@code JdbcIO.write()}, which needs timers the
 * SparkRunner's streaming mode does not have, and could not commit a version's ledger row with its
 * rows.
 */
public final class IngestFiles
    extends PTransform<PCollection<List<FileVersion>>, PCollection<FileVersion>> {

  private final JdbcConfig database;
  private final String errorDir;
  private final ProcessedFiles processed;
  private final ExtraColumns extraColumns;
  private final long chunkBytes;

  public IngestFiles(
      JdbcConfig database, String errorDir, ProcessedFiles processed, ExtraColumns extraColumns) {
    this(database, errorDir, processed, extraColumns, GroupIngest.CHUNK_BYTES);
  }

  IngestFiles(
      JdbcConfig database,
      String errorDir,
      ProcessedFiles processed,
      ExtraColumns extraColumns,
      long chunkBytes) {
    this.database = database;
    this.errorDir = errorDir;
    this.processed = processed;
    this.extraColumns = extraColumns;
    this.chunkBytes = chunkBytes;
  }

  @Override
  public PCollection<FileVersion> expand(PCollection<List<FileVersion>> versions) {
    return versions
        .apply(
            "IngestEachGroup",
            ParDo.of(new IngestFn(database, errorDir, processed, extraColumns, chunkBytes)))
        .setCoder(FileVersionCoders.VERSION);
  }

  /**
   * Collects a bundle's versions and ingests them in groups when the bundle finishes: the
   * DirectRunner hands a bundle a few elements, Spark a micro-batch's listing, and a group is as
   * many small versions as fit one transaction.
   */
  private static final class IngestFn extends DoFn<List<FileVersion>, FileVersion> {
    private final JdbcConfig database;
    private final String errorDir;
    private final ProcessedFiles processed;
    private final ExtraColumns extraColumns;
    private final long chunkBytes;
    private final Metrics.Ingest metrics = new Metrics.Ingest();

    private transient GroupIngest ingest;
    private transient List<Found> bundle;

    IngestFn(
        JdbcConfig database,
        String errorDir,
        ProcessedFiles processed,
        ExtraColumns extraColumns,
        long chunkBytes) {
      this.database = database;
      this.errorDir = errorDir;
      this.processed = processed;
      this.extraColumns = extraColumns;
      this.chunkBytes = chunkBytes;
    }

    @Setup
    public void setup() {
      ingest = new GroupIngest(database, errorDir, processed, extraColumns, chunkBytes, metrics);
    }

    @StartBundle
    public void startBundle() {
      bundle = new ArrayList<>();
    }

    @ProcessElement
    public void processElement(@Element List<FileVersion> versions, @Timestamp Instant found) {
      java.time.Instant at = java.time.Instant.ofEpochMilli(found.getMillis());
      versions.forEach(version -> bundle.add(new Found(version, at)));
    }

    /** Ingests the bundle's versions in groups, in the order the watcher handed them out. */
    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws InterruptedException {
      for (List<Found> group : VersionOrder.groups(bundle, found -> found.version().size())) {
        for (Ledger.Entry committed : ingest.ingest(group)) {
          Instant found = new Instant(committed.found().toEpochMilli());
          context.output(committed.version(), found, GlobalWindow.INSTANCE);
        }
      }
      bundle = null;
    }
  }
}
