package io.shopstream.pipeline;

import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes error records as JSON Lines into the error folder (SPEC.md section 7), one file per input
 * file: {@code <input file name>.errors.jsonl}, its lines in input order. Reading a file again
 * after a restart from a checkpoint yields the same records under the same name, and a file is
 * written under a hidden temporary name and renamed over the old one, so the error output is
 * idempotent and never half-written. (Records in a later pane of the same window, such as database
 * rejections found after the window fired, go to {@code <name>.errors-<pane>.jsonl}.)
 *
 * <p>A GroupByKey per input file and a plain DoFn rather than {@code FileIO.writeDynamic}: on Spark
 * that cost every micro-batch three more jobs and two stateful shuffles, about ten seconds of the
 * benchmark's forty (bench/results/spark-steps-2026-11-25.md).
 */
public final class WriteErrors extends PTransform<PCollection<ErrorRecord>, PDone> {

  private final String errorDir;

  public WriteErrors(String errorDir) {
    this.errorDir = errorDir;
  }

  @Override
  public PDone expand(PCollection<ErrorRecord> errors) {
    errors
        .apply(
            "KeyByInputFile",
            WithKeys.<String, ErrorRecord>of(
                    e -> FileSystems.matchNewResource(e.source(), false).getFilename())
                .withKeyType(TypeDescriptors.strings()))
        .apply("BatchPerBundle", new BatchPerBundle<>())
        .apply("GroupByInputFile", GroupByKey.create())
        .apply("WriteJsonLinesPerInputFile", ParDo.of(new WriteFileFn(errorDir)));
    return PDone.in(errors.getPipeline());
  }

  static final class WriteFileFn extends DoFn<KV<String, Iterable<List<ErrorRecord>>>, Void> {
    private final String errorDir;

    WriteFileFn(String errorDir) {
      this.errorDir = errorDir;
    }

    /** A failure to write fails the bundle, which the runner retries: no record is dropped. */
    @ProcessElement
    public void processElement(
        @Element KV<String, Iterable<List<ErrorRecord>>> input, PaneInfo pane) throws IOException {
      List<ErrorRecord> records = new ArrayList<>();
      input.getValue().forEach(records::addAll);
      records.sort(Comparator.comparingLong(ErrorRecord::line));
      String name =
          input.getKey()
              + (pane.getIndex() == 0 ? ".errors" : ".errors-" + pane.getIndex())
              + ".jsonl";
      ResourceId dir = FileSystems.matchNewResource(errorDir, true);
      ResourceId temp =
          dir.resolve("." + name + "." + UUID.randomUUID(), StandardResolveOptions.RESOLVE_FILE);
      try (Writer out =
          Channels.newWriter(FileSystems.create(temp, MimeTypes.TEXT), StandardCharsets.UTF_8)) {
        for (ErrorRecord record : records) {
          out.write(record.toJson());
          out.write('\n');
        }
      }
      FileSystems.rename(
          List.of(temp), List.of(dir.resolve(name, StandardResolveOptions.RESOLVE_FILE)));
    }
  }
}
