package io.shopstream.pipeline.core.parse;

import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Validates one physical line of an input file against SPEC.md sections 3-4. Pure and stateless, so
 * every rule is unit-tested without a pipeline. The first rule a line breaks is the reason it is
 * rejected.
 */
public final class LineParser {

  /** What became of a line: an event, an error record, or skipped (header or blank). */
  public sealed interface Parsed permits Valid, Invalid, Skipped {}

  public record Valid(Event event) implements Parsed {}

  public record Invalid(ErrorRecord error) implements Parsed {}

  record Skipped() implements Parsed {}

  public static final List<String> COLUMNS =
      List.of(
          "event_id",
          "user_id",
          "product_id",
          "product_name",
          "category",
          "price",
          "event_type",
          "timestamp");
  private static final int[] MAX_LENGTH = {64, 64, 64, 255, 64, Integer.MAX_VALUE, 64, 64};
  private static final Set<String> EVENT_TYPES = Set.of("view", "add_to_cart", "purchase");

  /** Prices are below 100000000: at most 8 digits before the point. */
  private static final int MAX_PRICE_DIGITS = 8;

  private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setRecordSeparator("").get();
  private static final Skipped SKIPPED = new Skipped();

  private LineParser() {}

  /**
   * The columns a file's first line names, in any order and case (SPEC.md section 3): where each of
   * {@link #COLUMNS} is in the file's lines, and which of them it lacks.
   */
  public record Header(List<String> names, int[] positions, List<String> missing) {

    /** The header the fields are, or null when they name none of the columns (a data line). */
    static Header of(String[] fields) {
      List<String> names = Arrays.stream(fields).map(f -> f.toLowerCase(Locale.ROOT)).toList();
      if (names.stream().noneMatch(COLUMNS::contains)) {
        return null;
      }
      int[] positions = COLUMNS.stream().mapToInt(names::indexOf).toArray();
      List<String> missing = COLUMNS.stream().filter(c -> !names.contains(c)).toList();
      return new Header(names, positions, missing);
    }

    boolean sameAs(String[] fields) {
      if (fields.length != names.size()) {
        return false;
      }
      for (int i = 0; i < fields.length; i++) {
        if (!fields[i].equalsIgnoreCase(names.get(i))) {
          return false;
        }
      }
      return true;
    }
  }

  /** A line decoded and split into trimmed fields, or what became of it if it got no further. */
  private record Split(Parsed early, String line, String[] fields) {}

  /** The header a file's first line is, or null. */
  public static Header header(byte[] bytes, int length) {
    Split split = split("", 1, bytes, length);
    return split.early() == null ? Header.of(split.fields()) : null;
  }

  /** A line of a file without a header. */
  public static Parsed parse(String source, long lineNumber, byte[] bytes, int length) {
    return parse(source, lineNumber, bytes, length, null);
  }

  /**
   * @param bytes the line without its LF; a trailing CR (CRLF files) and a leading BOM on line 1
   *     are removed here
   * @param header the file's header, null if it has none (its lines are in {@link #COLUMNS} order)
   */
  public static Parsed parse(
      String source, long lineNumber, byte[] bytes, int length, Header header) {
    Split split = split(source, lineNumber, bytes, length);
    if (split.early() != null) {
      return split.early();
    }
    String line = split.line();
    String[] fields = split.fields();
    if ((header != null && header.sameAs(fields)) || Arrays.asList(fields).equals(COLUMNS)) {
      return SKIPPED;
    }
    if (header != null && !header.missing().isEmpty()) {
      return invalid(
          source,
          lineNumber,
          Reason.HEADER_MISMATCH,
          "the file's header (line 1) lacks the column(s) " + String.join(", ", header.missing()),
          line);
    }
    int width = header == null ? COLUMNS.size() : header.names().size();
    if (fields.length != width) {
      return invalid(
          source,
          lineNumber,
          Reason.FIELD_COUNT,
          "expected "
              + width
              + " fields ("
              + String.join(",", header == null ? COLUMNS : header.names())
              + "), found "
              + fields.length,
          line);
    }
    if (header != null) {
      String[] ordered = new String[COLUMNS.size()];
      for (int i = 0; i < ordered.length; i++) {
        ordered[i] = fields[header.positions()[i]];
      }
      fields = ordered;
    }
    return validate(source, lineNumber, line, fields);
  }

  private static Split split(String source, long lineNumber, byte[] bytes, int length) {
    int start = 0;
    if (lineNumber == 1
        && length >= 3
        && (bytes[0] & 0xFF) == 0xEF
        && (bytes[1] & 0xFF) == 0xBB
        && (bytes[2] & 0xFF) == 0xBF) {
      start = 3;
    }
    int end = length > start && bytes[length - 1] == '\r' ? length - 1 : length;
    String line = ascii(bytes, start, end);
    boolean plain = line != null;
    if (!plain) {
      try {
        line =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, start, end - start))
                .toString();
      } catch (CharacterCodingException e) {
        String lossy =
            StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
        return early(
            invalid(source, lineNumber, Reason.BAD_ENCODING, "line is not valid UTF-8", lossy));
      }
    }
    if (line.isBlank()) {
      return early(SKIPPED);
    }
    for (int i = 0; !plain && i < line.length(); i++) {
      char c = line.charAt(i);
      if (Character.isISOControl(c) && c != '\t') {
        return early(
            invalid(
                source,
                lineNumber,
                Reason.CONTROL_CHARACTER,
                String.format("control character U+%04X in %s", (int) c, columnAt(line, i)),
                line));
      }
    }

    String[] fields;
    if (line.indexOf('"') < 0) {
      // Without quotes RFC 4180 is a plain split; Commons CSV would cost a parser per line.
      fields = splitAtCommas(line);
    } else {
      try (CSVParser parser = CSVParser.parse(line, CSV)) {
        List<CSVRecord> records = parser.getRecords();
        fields = records.get(0).values();
      } catch (IOException | UncheckedIOException | IllegalStateException e) {
        return early(
            invalid(
                source,
                lineNumber,
                Reason.MALFORMED_CSV,
                "malformed CSV (unclosed or misplaced quote): " + e.getMessage(),
                line));
      }
    }
    for (int i = 0; i < fields.length; i++) {
      fields[i] = fields[i].strip();
    }
    return new Split(null, line, fields);
  }

  private static Split early(Parsed parsed) {
    return new Split(parsed, null, null);
  }

  /** Checks the eight fields, in {@link #COLUMNS} order, against SPEC.md section 4. */
  private static Parsed validate(String source, long lineNumber, String line, String[] fields) {
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].isEmpty()) {
        return invalid(source, lineNumber, Reason.EMPTY_FIELD, COLUMNS.get(i) + " is empty", line);
      }
      if (fields[i].length() > MAX_LENGTH[i]) {
        return invalid(
            source,
            lineNumber,
            Reason.FIELD_TOO_LONG,
            COLUMNS.get(i)
                + " has "
                + fields[i].length()
                + " characters, at most "
                + MAX_LENGTH[i]
                + " allowed",
            line);
      }
    }
    String priceProblem = priceProblem(fields[5]);
    if (priceProblem != null) {
      return invalid(source, lineNumber, Reason.BAD_PRICE, "price " + priceProblem, line);
    }
    if (!EVENT_TYPES.contains(fields[6])) {
      return invalid(
          source,
          lineNumber,
          Reason.BAD_EVENT_TYPE,
          "event_type '" + fields[6] + "' is not one of view, add_to_cart, purchase",
          line);
    }
    String eventTime = utcInstant(fields[7]);
    if (eventTime == null) {
      return invalid(
          source,
          lineNumber,
          Reason.BAD_TIMESTAMP,
          "timestamp '" + fields[7] + "' is not an ISO-8601 date-time",
          line);
    }
    return new Valid(
        new Event(
            fields[0],
            fields[1],
            fields[2],
            fields[3],
            fields[4],
            fields[5],
            fields[6],
            eventTime,
            source,
            lineNumber));
  }

  /** Like {@code line.split(",", -1)}, without its list and regular-expression machinery. */
  private static String[] splitAtCommas(String line) {
    int count = 1;
    for (int i = line.indexOf(','); i >= 0; i = line.indexOf(',', i + 1)) {
      count++;
    }
    String[] fields = new String[count];
    int from = 0;
    for (int f = 0; f < count - 1; f++) {
      int comma = line.indexOf(',', from);
      fields[f] = line.substring(from, comma);
      from = comma + 1;
    }
    fields[count - 1] = line.substring(from);
    return fields;
  }

  /**
   * The line as a string when every byte is printable ASCII or a tab (almost every line), else
   * null: such a line needs neither a UTF-8 decoder nor a search for control characters.
   */
  private static String ascii(byte[] bytes, int start, int end) {
    for (int i = start; i < end; i++) {
      byte b = bytes[i];
      if ((b < 0x20 && b != '\t') || b == 0x7F || b < 0) {
        return null;
      }
    }
    return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
  }

  private static Invalid invalid(
      String source, long line, Reason reason, String message, String raw) {
    return new Invalid(ErrorRecord.of(source, line, reason, message, raw));
  }

  /** Null when the price is valid, else what is wrong with it. */
  private static String priceProblem(String price) {
    if (price.startsWith("-")) {
      return "'" + price + "' is negative";
    }
    // \d+(\.\d{1,2})? checked by hand: a regex and a BigDecimal per line were a tenth of parsing.
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
  private static String utcInstant(String timestamp) {
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

  /** Names the column a character position falls in, counting unquoted commas. */
  private static String columnAt(String line, int position) {
    int column = 0;
    boolean quoted = false;
    for (int i = 0; i < position; i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        column++;
      }
    }
    return column < COLUMNS.size() ? COLUMNS.get(column) : "column " + (column + 1);
  }
}
