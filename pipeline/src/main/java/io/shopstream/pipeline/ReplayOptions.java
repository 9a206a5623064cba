package io.shopstream.pipeline;

import org.apache.beam.sdk.options.Description;

/** The options of {@code runners/replay.sh}: the pipeline's folders and database, and filters. */
public interface ReplayOptions extends ShopstreamOptions {

  @Description("Replay only records with these reason codes (comma separated, e.g. DB_REJECTED).")
  String getReason();

  void setReason(String value);

  @Description("Replay only records of input files whose name contains this text.")
  String getFile();

  void setFile(String value);

  @Description("Replay only records detected at or after this ISO-8601 instant.")
  String getSince();

  void setSince(String value);

  @Description("Replay only records detected before this ISO-8601 instant.")
  String getUntil();

  void setUntil(String value);
}
