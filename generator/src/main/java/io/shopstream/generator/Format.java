package io.shopstream.generator;

/**
 * The file format the generator writes ({@code --format}): CSV under a header, or JSON Lines (one
 * object per line, the same eight keys, {@code price} a JSON number where it is one).
 */
enum Format {
  csv,
  jsonl;

  /** The file name's ending. */
  String ending() {
    return "." + name();
  }

  /** The file's first line, or null when the format has none. */
  String header() {
    return this == csv ? CsvLines.HEADER : null;
  }

  /** One line of these fields (fewer than eight: the object lacks the last keys). */
  String join(String[] fields) {
    if (this == csv) {
      return CsvLines.join(fields);
    }
    StringBuilder json = new StringBuilder(200).append('{');
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        json.append(',');
      }
      json.append('"').append(CsvLines.NAMES[i]).append("\":");
      boolean number = i == 5 && fields[i].matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?");
      json.append(number ? fields[i] : Truth.quoted(fields[i]));
    }
    return json.append('}').toString();
  }

  /** The reason code of a line that lacks its last field. */
  String shortLineReason() {
    return this == csv ? "FIELD_COUNT" : "EMPTY_FIELD";
  }

  /** A line that the format's parser cannot read, and its reason code. */
  FaultInjector.Fault malformed(String[] fields) {
    String line = join(fields);
    return this == csv
        ? new FaultInjector.Fault(line + ",\"unclosed", "MALFORMED_CSV")
        : new FaultInjector.Fault(line.substring(0, line.length() - 1), "MALFORMED_JSON");
  }
}
