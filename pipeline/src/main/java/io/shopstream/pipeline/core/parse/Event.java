package io.shopstream.pipeline.core.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;

/**
 * A valid event (docs/reference.md) with where it came from. {@code price} is the validated decimal
 * text and {@code eventTime} a UTC ISO-8601 instant, both as PostgreSQL parses them; {@code extras}
 * the rescued extra columns as a JSON object's text, null when there are none.
 */
public record Event(
    String eventId,
    String userId,
    String productId,
    String productName,
    String category,
    String price,
    String eventType,
    String eventTime,
    String sourceFile,
    long sourceLine,
    String extras) {

  /** The input's eight columns, then source file and line, then extras (null or JSON). */
  List<String> columns() {
    return Arrays.asList(
        eventId,
        userId,
        productId,
        productName,
        category,
        price,
        eventType,
        eventTime,
        sourceFile,
        Long.toString(sourceLine),
        extras);
  }

  /**
   * The event as an input line: its columns as CSV, or, when it has extra columns, as a JSON object
   * of its columns and extras (a JSON Lines line), so that a replay keeps them.
   */
  public String toLine() {
    if (extras == null) {
      return CSVFormat.RFC4180.format(columns().subList(0, 8).toArray());
    }
    ObjectNode line = JSON.createObjectNode();
    List<String> columns = columns();
    for (int i = 0; i < 8; i++) {
      line.put(LineParser.COLUMNS.get(i), columns.get(i));
    }
    try {
      line.setAll((ObjectNode) JSON.readTree(extras));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("extras are a JSON object's text", e);
    }
    return line.toString();
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The event as one line of PostgreSQL's CSV in UTF-8, {@link #columns} in order but with the
   * number {@code file} for the source file, ending with a line feed: the form in which events are
   * sent to {@code COPY} (no extras: an unquoted empty field, which {@code COPY} reads as null). A
   * field is quoted only when it must be (empty, or holding a comma, quote, line break or
   * backslash); Commons CSV's printer quotes every field through a generic path, half of the
   * writers' own CPU once.
   */
  public byte[] copyRow(int file) {
    StringBuilder csv = new StringBuilder(256);
    for (String field :
        new String[] {
          eventId, userId, productId, productName, category, price, eventType, eventTime
        }) {
      appendField(csv, field);
      csv.append(',');
    }
    csv.append(file).append(',').append(sourceLine).append(',');
    if (extras != null) {
      appendField(csv, extras);
    }
    return csv.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The event back from its {@link #columns}. */
  public static Event ofColumns(List<String> f) {
    return new Event(
        f.get(0),
        f.get(1),
        f.get(2),
        f.get(3),
        f.get(4),
        f.get(5),
        f.get(6),
        f.get(7),
        f.get(8),
        Long.parseLong(f.get(9)),
        f.get(10));
  }

  private static void appendField(StringBuilder csv, String value) {
    boolean plain = !value.isEmpty();
    for (int i = 0; plain && i < value.length(); i++) {
      char c = value.charAt(i);
      plain = c != ',' && c != '"' && c != '\n' && c != '\r' && c != '\\';
    }
    if (plain) {
      csv.append(value);
      return;
    }
    csv.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"') {
        csv.append('"');
      }
      csv.append(c);
    }
    csv.append('"');
  }
}
