package io.shopstream.generator;

import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Turns a valid CSV line into an invalid one of a kind the pipeline must reject (SPEC.md section
 * 4). Each kind breaks exactly one rule, so the expected reason code is known.
 */
final class FaultInjector {

  private static final List<UnaryOperator<String[]>> FAULTS =
      List.of(
          f -> java.util.Arrays.copyOf(f, 7), // FIELD_COUNT
          f -> set(f, 5, "-3.50"), // BAD_PRICE
          f -> set(f, 5, "12.345"), // BAD_PRICE
          f -> set(f, 6, "refund"), // BAD_EVENT_TYPE
          f -> set(f, 7, "yesterday"), // BAD_TIMESTAMP
          f -> set(f, 1, ""), // EMPTY_FIELD
          f -> set(f, 2, "P".repeat(65)), // FIELD_TOO_LONG
          f -> set(f, 4, "Books\u0007")); // CONTROL_CHARACTER

  private final Random random;

  FaultInjector(Random random) {
    this.random = random;
  }

  /** Returns an invalid line; an unclosed quote (MALFORMED_CSV) is one of the choices. */
  String corrupt(String[] fields) {
    int kind = random.nextInt(FAULTS.size() + 1);
    if (kind == FAULTS.size()) {
      return CsvLines.join(fields) + ",\"unclosed";
    }
    return CsvLines.join(FAULTS.get(kind).apply(fields.clone()));
  }

  private static String[] set(String[] fields, int index, String value) {
    fields[index] = value;
    return fields;
  }
}
