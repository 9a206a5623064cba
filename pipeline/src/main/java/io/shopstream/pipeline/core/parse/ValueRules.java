package io.shopstream.pipeline.core.parse;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** The rules for a price and a timestamp (docs/reference.md), read by hand where it is hot. */
final class ValueRules {

  /** A price is below 100000000: at most this many digits before the point. */
  private static final int MAX_PRICE_DIGITS = 8;

  private ValueRules() {}

  /** Null when the price is valid, else what is wrong with it. */
  static String priceProblem(String price) {
    if (price.startsWith("-")) {
      return "'" + price + "' is negative";
    }
    // \d+(\.\d{1,2})? checked by hand: a regex and a BigDecimal per line cost a tenth of parsing.
    int dot = price.indexOf('.');
    int whole = dot < 0 ? price.length() : dot;
    int fraction = dot < 0 ? 0 : price.length() - dot - 1;
    if (whole == 0
        || !digits(price, 0, whole)
        || (dot >= 0
            && (fraction < 1 || fraction > 2 || !digits(price, dot + 1, price.length())))) {
      return "'" + price + "' is not a plain decimal with at most 2 fractional digits";
    }
    int leadingZeros = 0;
    while (leadingZeros < whole - 1 && price.charAt(leadingZeros) == '0') {
      leadingZeros++;
    }
    if (whole - leadingZeros > MAX_PRICE_DIGITS) {
      return "'" + price + "' is not below 100000000";
    }
    return null;
  }

  private static boolean digits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (digit(s, i) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The timestamp as a UTC instant; without an offset it is UTC. Null when unparseable. */
  static String utcInstant(String timestamp) {
    String canonical = canonicalUtc(timestamp);
    if (canonical != null) {
      return canonical;
    }
    try {
      return OffsetDateTime.parse(timestamp, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
          .toInstant()
          .toString();
    } catch (DateTimeParseException withoutOffset) {
      try {
        return LocalDateTime.parse(timestamp, DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .toInstant(ZoneOffset.UTC)
            .toString();
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }

  /**
   * The common shape {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, read without {@link DateTimeFormatter},
   * whose general parser was the largest single cost of parsing a line; null for any other shape,
   * which the general parser then decides.
   */
  private static String canonicalUtc(String t) {
    int n = t.length();
    if (n < 20
        || n == 21
        || n > 30
        || t.charAt(4) != '-'
        || t.charAt(7) != '-'
        || t.charAt(10) != 'T'
        || t.charAt(13) != ':'
        || t.charAt(16) != ':'
        || t.charAt(n - 1) != 'Z'
        || (n > 20 && t.charAt(19) != '.')) {
      return null;
    }
    int nanos = 0;
    for (int i = 20; i < 29; i++) {
      int digit = i < n - 1 ? digit(t, i) : 0;
      if (digit < 0) {
        return null;
      }
      nanos = nanos * 10 + digit;
    }
    int[] parts = {0, 5, 8, 11, 14, 17};
    int[] values = new int[parts.length];
    for (int p = 0; p < parts.length; p++) {
      int width = p == 0 ? 4 : 2;
      for (int i = parts[p]; i < parts[p] + width; i++) {
        int digit = digit(t, i);
        if (digit < 0) {
          return null;
        }
        values[p] = values[p] * 10 + digit;
      }
    }
    try {
      LocalDateTime.of(values[0], values[1], values[2], values[3], values[4], values[5], nanos);
    } catch (DateTimeException e) {
      return null;
    }
    // Instant.toString's text, without its formatter (the costliest step of a line once): the
    // seconds as given, then the fraction in 3, 6 or 9 digits, none when zero.
    String seconds = t.substring(0, 19);
    if (nanos == 0) {
      return seconds + "Z";
    }
    int fraction = nanos % 1_000_000 == 0 ? 3 : nanos % 1000 == 0 ? 6 : 9;
    if (n == 21 + fraction) {
      return t;
    }
    return seconds + "." + Integer.toString(1_000_000_000 + nanos).substring(1, 1 + fraction) + "Z";
  }

  private static int digit(String s, int i) {
    char c = s.charAt(i);
    return c >= '0' && c <= '9' ? c - '0' : -1;
  }
}
