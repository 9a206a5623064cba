package io.shopstream.generator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What each line the generator writes is, as JSON Lines ({@code --truthFile}): one object per line
 * of every file, in order, with the file's name and the line's number; {@code kind} is {@code
 * header}, {@code event} (with its fields), {@code duplicate} (with the id it repeats) or {@code
 * invalid} (with the reason code the pipeline must give it). Tests take their expected outcome from
 * here, not from the pipeline's own parser.
 */
final class Truth implements AutoCloseable {

  private final BufferedWriter out;
  private final Map<Path, Long> lines = new HashMap<>();

  private Truth(BufferedWriter out) {
    this.out = out;
  }

  /** A truth file, or one that writes nothing when {@code file} is null. */
  static Truth open(Path file) throws IOException {
    return new Truth(file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  void header(Path file) throws IOException {
    write(file, "header", "");
  }

  void event(Path file, String[] fields) throws IOException {
    StringBuilder more = new StringBuilder();
    for (int i = 0; i < CsvLines.NAMES.length; i++) {
      more.append(",\"").append(CsvLines.NAMES[i]).append("\":").append(quoted(fields[i]));
    }
    write(file, "event", more.toString());
  }

  void duplicate(Path file, String[] fields) throws IOException {
    write(file, "duplicate", ",\"event_id\":" + quoted(fields[0]));
  }

  void invalid(Path file, String reason) throws IOException {
    write(file, "invalid", ",\"reason\":" + quoted(reason));
  }

  private void write(Path file, String kind, String more) throws IOException {
    long line = lines.merge(file, 1L, Long::sum);
    if (out == null) {
      return;
    }
    out.write(
        "{\"file\":"
            + quoted(file.getFileName().toString())
            + ",\"line\":"
            + line
            + ",\"kind\":\""
            + kind
            + "\""
            + more
            + "}\n");
  }

  static String quoted(String value) {
    StringBuilder json = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20) {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    return json.append('"').toString();
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
