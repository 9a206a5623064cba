package io.shopstream.pipeline;

import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.commons.csv.CSVFormat;

/**
 * A valid event (SPEC.md section 4) with where it came from. {@code price} is the validated decimal
 * text and {@code eventTime} a UTC ISO-8601 instant, both as PostgreSQL parses them.
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
    long sourceLine) {

  /** The input's eight columns, then source file and line: the coder's and the writer's order. */
  List<String> columns() {
    return List.of(
        eventId,
        userId,
        productId,
        productName,
        category,
        price,
        eventType,
        eventTime,
        sourceFile,
        Long.toString(sourceLine));
  }

  public static Coder<Event> coder() {
    return new TextFieldsCoder<>(
        Event::columns,
        f ->
            new Event(
                f.get(0),
                f.get(1),
                f.get(2),
                f.get(3),
                f.get(4),
                f.get(5),
                f.get(6),
                f.get(7),
                f.get(8),
                Long.parseLong(f.get(9))));
  }

  /** The event's input columns as one CSV line. */
  String toCsv() {
    return CSVFormat.RFC4180.format(columns().subList(0, 8).toArray());
  }

  /** Within a window the earliest (file, line) wins (SPEC.md section 5). */
  static final Comparator<Event> BY_SOURCE =
      Comparator.comparing(Event::sourceFile).thenComparingLong(Event::sourceLine);
}
