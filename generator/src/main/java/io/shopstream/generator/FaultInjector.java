package io.shopstream.generator;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Turns a valid CSV line into an invalid one of a kind the pipeline must reject (docs/reference.md,
 * "What is a valid event"). Each kind breaks exactly one rule, so the expected reason code is
 * known.
 */
final class FaultInjector {

  /** An invalid line and the reason code the pipeline must give it. */
  record Fault(String line, String reason) {}

  private record Kind(String reason, UnaryOperator<String[]> breaks) {}

  /** A line without its last field; its reason depends on the format. */
  private static final Kind SHORT = new Kind(null, f -> Arrays.copyOf(f, 7));

  private static final List<Kind> KINDS =
      List.of(
          SHORT,
          new Kind("BAD_PRICE", f -> set(f, 5, "-3.50")),
          new Kind("BAD_PRICE", f -> set(f, 5, "12.345")),
          new Kind("BAD_EVENT_TYPE", f -> set(f, 6, "refund")),
          new Kind("BAD_TIMESTAMP", f -> set(f, 7, "yesterday")),
          new Kind("EMPTY_FIELD", f -> set(f, 1, "")),
          new Kind("FIELD_TOO_LONG", f -> set(f, 2, "P".repeat(65))),
          new Kind("CONTROL_CHARACTER", f -> set(f, 4, "Books\u0007")));

  private final Random random;
  private final Format format;

  FaultInjector(Random random, Format format) {
    this.random = random;
    this.format = format;
  }

  /** Returns an invalid line; one the format's parser cannot read is one of the choices. */
  Fault corrupt(String[] fields) {
    int kind = random.nextInt(KINDS.size() + 1);
    if (kind == KINDS.size()) {
      return format.malformed(fields);
    }
    Kind k = KINDS.get(kind);
    return new Fault(
        format.join(k.breaks().apply(fields.clone())),
        k == SHORT ? format.shortLineReason() : k.reason());
  }

  private static String[] set(String[] fields, int index, String value) {
    fields[index] = value;
    return fields;
  }
}
