package io.shopstream.pipeline;

import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes error records as JSON Lines into the error folder (SPEC.md section 7), one file per input
 * file: {@code <input file name>.errors.jsonl}. Reading a file again after a restart from a
 * checkpoint yields the same records under the same name, and a file is written under a temporary
 * name and renamed over the old one, so the error output is idempotent and never half-written.
 * (Records in a later pane of the same window, which arrival-time windows make rare, go to {@code
 * <name>.errors-<pane>.jsonl}.)
 */
public final class WriteErrors extends PTransform<PCollection<ErrorRecord>, PDone> {

  private final String errorDir;

  public WriteErrors(String errorDir) {
    this.errorDir = errorDir;
  }

  @Override
  public PDone expand(PCollection<ErrorRecord> errors) {
    errors.apply(
        "WriteJsonLinesPerInputFile",
        FileIO.<String, ErrorRecord>writeDynamic()
            .by(e -> FileSystems.matchNewResource(e.source(), false).getFilename())
            .withDestinationCoder(StringUtf8Coder.of())
            .via(Contextful.fn(ErrorRecord::toJson), TextIO.sink())
            .to(errorDir)
            .withNumShards(1)
            .withNaming(
                inputName ->
                    (window, pane, numShards, shard, compression) ->
                        inputName
                            + (pane.getIndex() == 0 ? ".errors" : ".errors-" + pane.getIndex())
                            + ".jsonl"));
    return PDone.in(errors.getPipeline());
  }
}
