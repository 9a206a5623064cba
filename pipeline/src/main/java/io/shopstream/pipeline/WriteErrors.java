package io.shopstream.pipeline;

import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.format.DateTimeFormatter;
import org.joda.time.format.ISODateTimeFormat;

/**
 * Writes error records as JSON Lines into the error folder, one file per window and pane (SPEC.md
 * section 7). Names are deterministic ({@code errors-<window start>-pane-<n>.jsonl}, no colons,
 * which HDFS refuses) and files appear complete: they are written under a temporary name and
 * renamed.
 */
public final class WriteErrors extends PTransform<PCollection<ErrorRecord>, PDone> {

  private static final DateTimeFormatter WINDOW_START =
      ISODateTimeFormat.basicDateTimeNoMillis().withZoneUTC();

  private final String errorDir;

  public WriteErrors(String errorDir) {
    this.errorDir = errorDir;
  }

  @Override
  public PDone expand(PCollection<ErrorRecord> errors) {
    errors
        .apply("ToJsonLines", MapElements.into(TypeDescriptors.strings()).via(ErrorRecord::toJson))
        .apply(
            "WriteJsonLines",
            FileIO.<String>write()
                .via(TextIO.sink())
                .to(errorDir)
                .withNumShards(1)
                .withNaming(
                    (window, pane, numShards, shard, compression) ->
                        String.format(
                            "errors-%s-pane-%d.jsonl",
                            WINDOW_START.print(((IntervalWindow) window).start()),
                            pane.getIndex())));
    return PDone.in(errors.getPipeline());
  }
}
