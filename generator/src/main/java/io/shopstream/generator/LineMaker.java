package io.shopstream.generator;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Makes each line: an event of the simulated shoppers, an earlier event repeated, or an event
 * broken so that the pipeline must reject it; tells the {@link Truth} what it made, and counts.
 */
final class LineMaker {

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final int RECENT_LINES = 10_000;

  private final Random random;
  private final ShopperSimulation shoppers;
  private final FaultInjector faults;
  private final Truth truth;
  private final double duplicateRate;
  private final double invalidRate;
  private final Format format;
  private final String[][] recent = new String[RECENT_LINES][];

  long valid;
  long duplicates;
  long invalid;

  /** What the valid events add up to, for the benchmark's checks of what was stored. */
  final Map<String, Long> validByType = new TreeMap<>();

  BigDecimal validPrices = BigDecimal.ZERO;

  LineMaker(
      Random random,
      int users,
      Truth truth,
      double duplicateRate,
      double invalidRate,
      Format format) {
    this.random = random;
    this.shoppers = new ShopperSimulation(random, new Catalog(random, 40), users);
    this.faults = new FaultInjector(random, format);
    this.format = format;
    this.truth = truth;
    this.duplicateRate = duplicateRate;
    this.invalidRate = invalidRate;
  }

  long lines() {
    return valid + duplicates + invalid;
  }

  /** The next line of {@code file}, for an event at {@code eventMillis}. */
  String next(Path file, long eventMillis) throws IOException {
    double roll = random.nextDouble();
    if (roll < duplicateRate && valid > 0) {
      String[] repeated = recent[random.nextInt((int) Math.min(valid, RECENT_LINES))];
      truth.duplicate(file, repeated);
      duplicates++;
      return format.join(repeated);
    }
    String[] fields = fields(shoppers.next(eventMillis));
    if (roll >= duplicateRate && roll < duplicateRate + invalidRate) {
      FaultInjector.Fault fault = faults.corrupt(fields);
      truth.invalid(file, fault.reason());
      invalid++;
      return fault.line();
    }
    recent[(int) (valid++ % RECENT_LINES)] = fields;
    truth.event(file, fields);
    validByType.merge(fields[6], 1L, Long::sum);
    validPrices = validPrices.add(new BigDecimal(fields[5]));
    return format.join(fields);
  }

  private static String[] fields(ShopperSimulation.Event e) {
    return new String[] {
      e.eventId(),
      e.userId(),
      e.product().id(),
      e.product().name(),
      e.product().category(),
      e.product().price().toPlainString(),
      e.eventType(),
      TIMESTAMP.format(Instant.ofEpochMilli(e.epochMillis()))
    };
  }
}
