package io.shopstream.pipeline.beam;

import io.shopstream.pipeline.core.files.FileVersion;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/** How file versions travel between the pipeline's steps. */
public final class FileVersionCoders {

  public static final Coder<FileVersion> VERSION = SerializableCoder.of(FileVersion.class);

  /** Versions found together, as the watcher hands them to the ingest. */
  public static final Coder<List<FileVersion>> LIST = ListCoder.of(VERSION);

  private FileVersionCoders() {}
}
