package io.shopstream.pipeline.core.parse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Validates one physical line of an input file against docs/reference.md. Pure and stateless, so
 * every rule is unit-tested without a pipeline. The first rule a line breaks is the reason it is
 * rejected.
 */
public final class LineParser {

  /** What became of a line: an event, an error record, or skipped (header or blank). */
  public sealed interface Parsed permits Valid, Invalid, Skipped {}

  /**
   * A valid event, and the names of the extra columns that hold a value in its line (in {@code
   * event.extras()} unless they are ignored).
   */
  public record Valid(Event event, List<String> extraColumns) implements Parsed {}

  public record Invalid(ErrorRecord error) implements Parsed {}

  public record Skipped() implements Parsed {}

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

  private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setRecordSeparator("").get();

  private static final Skipped SKIPPED = new Skipped();

  /**
   * In a {@code HEADER_MISMATCH} record's message, what precedes the file's header (as CSV): the
   * replay maps the line by it, also when the file is gone or has a new version.
   */
  public static final String HEADER_COLUMNS = "; its columns: ";

  private LineParser() {}

  /** A line decoded and split into trimmed fields, or what became of it if it got no further. */
  record Split(Parsed early, String line, String[] fields) {}

  private static final List<String> NONE = List.of();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The header a file's first line is, or null. */
  public static Header header(byte[] bytes, int length) {
    Split split = split("", 1, bytes, length);
    return split.early() == null ? Header.of(split.fields()) : null;
  }

  /** A line of a file without a header. */
  public static Parsed parse(String source, long lineNumber, byte[] bytes, int length) {
    return parse(source, lineNumber, bytes, length, null, ExtraColumns.rescue);
  }

  /**
   * @param bytes the line without its LF; a trailing CR (CRLF files) and a leading BOM on line 1
   *     are removed here
   * @param header the file's header, null if it has none (its lines are in {@link #COLUMNS} order)
   */
  public static Parsed parse(
      String source,
      long lineNumber,
      byte[] bytes,
      int length,
      Header header,
      ExtraColumns extraColumns) {
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
          "the file's header (line 1) lacks the column(s) "
              + String.join(", ", header.missing())
              + HEADER_COLUMNS
              + CSV.format(header.names().toArray()),
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
    if (header == null) {
      return validate(source, lineNumber, line, fields, null, NONE, extraColumns);
    }
    String[] ordered = new String[COLUMNS.size()];
    for (int i = 0; i < ordered.length; i++) {
      ordered[i] = fields[header.positions()[i]];
    }
    ObjectNode extras = null;
    List<String> names = NONE;
    for (int i = 0; i < header.extraPositions().length; i++) {
      String value = fields[header.extraPositions()[i]];
      if (!value.isEmpty()) { // an empty field holds no value to keep
        if (extras == null) {
          extras = JSON.createObjectNode();
          names = new ArrayList<>();
        }
        extras.put(header.extraNames().get(i), value);
        names.add(header.extraNames().get(i));
      }
    }
    return validate(source, lineNumber, line, ordered, extras, names, extraColumns);
  }

  /**
   * A line decoded, or what became of it (bad encoding, blank); {@code plain} when every character
   * is printable ASCII or a tab, so that there is no control character to look for.
   */
  record Decoded(Parsed early, String line, boolean plain) {}

  static Decoded decode(String source, long lineNumber, byte[] bytes, int length) {
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
        return new Decoded(
            invalid(source, lineNumber, Reason.BAD_ENCODING, "line is not valid UTF-8", lossy),
            null,
            false);
      }
    }
    return new Decoded(line.isBlank() ? SKIPPED : null, line, plain);
  }

  private static Split split(String source, long lineNumber, byte[] bytes, int length) {
    Decoded decoded = decode(source, lineNumber, bytes, length);
    if (decoded.early() != null) {
      return early(decoded.early());
    }
    String line = decoded.line();
    Invalid control = decoded.plain() ? null : controlCharacter(source, lineNumber, line);
    return control != null ? early(control) : fields(source, lineNumber, line);
  }

  /** The first control character other than tab, as an error; null when there is none. */
  static Invalid controlCharacter(String source, long lineNumber, String line) {
    int at = firstControl(line);
    return at < 0
        ? null
        : controlCharacter(source, lineNumber, line, line.charAt(at), columnAt(line, at));
  }

  /** Where the first control character other than tab is in {@code text}; -1 if nowhere. */
  static int firstControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) && c != '\t') {
        return i;
      }
    }
    return -1;
  }

  /** The error for control character {@code c} found in {@code column}. */
  static Invalid controlCharacter(
      String source, long lineNumber, String line, char c, String column) {
    return invalid(
        source,
        lineNumber,
        Reason.CONTROL_CHARACTER,
        String.format("control character U+%04X in %s", (int) c, column),
        line);
  }

  /** The line's fields, trimmed (RFC 4180). */
  private static Split fields(String source, long lineNumber, String line) {
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

  /**
   * Checks the eight fields, in {@link #COLUMNS} order, against docs/reference.md; then the extra
   * columns' values (null when none), named in {@code extraNames}, as {@code extraColumns} says.
   */
  static Parsed validate(
      String source,
      long lineNumber,
      String line,
      String[] fields,
      ObjectNode extras,
      List<String> extraNames,
      ExtraColumns extraColumns) {
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
    String priceProblem = ValueRules.priceProblem(fields[5]);
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
    String eventTime = ValueRules.utcInstant(fields[7]);
    if (eventTime == null) {
      return invalid(
          source,
          lineNumber,
          Reason.BAD_TIMESTAMP,
          "timestamp '" + fields[7] + "' is not an ISO-8601 date-time",
          line);
    }
    if (extras != null && extraColumns == ExtraColumns.reject) {
      return invalid(
          source,
          lineNumber,
          Reason.EXTRA_COLUMNS,
          "values in columns beyond the eight ("
              + String.join(", ", extraNames)
              + ") and --extraColumns=reject",
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
            lineNumber,
            extras == null || extraColumns == ExtraColumns.ignore ? null : extras.toString()),
        extraNames);
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

  static Invalid invalid(String source, long line, Reason reason, String message, String raw) {
    return new Invalid(ErrorRecord.of(source, line, reason, message, raw));
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
