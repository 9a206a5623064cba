package io.shopstream.pipeline;

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

  public static Coder<Event> coder() {
    return new TextFieldsCoder<>(
        e ->
            List.of(
                e.eventId,
                e.userId,
                e.productId,
                e.productName,
                e.category,
                e.price,
                e.eventType,
                e.eventTime,
                e.sourceFile,
                Long.toString(e.sourceLine)),
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

  /** The event's fields as one CSV line, in input column order. */
  String toCsv() {
    return CSVFormat.RFC4180.format(
        eventId, userId, productId, productName, category, price, eventType, eventTime);
  }

  /** Within a window the earliest (file, line) wins (SPEC.md section 5). */
  boolean isBefore(Event other) {
    int byFile = sourceFile.compareTo(other.sourceFile);
    return byFile < 0 || (byFile == 0 && sourceLine < other.sourceLine);
  }
}
