package io.shopstream.generator;

/** RFC 4180 formatting of one record per line. */
final class CsvLines {

  static final String HEADER =
      "event_id,user_id,product_id,product_name,category,price,event_type,timestamp";

  static final String[] NAMES = HEADER.split(",");

  private CsvLines() {}

  static String join(String[] fields) {
    StringBuilder line = new StringBuilder(160);
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        line.append(',');
      }
      String field = fields[i];
      if (field.indexOf(',') >= 0 || field.indexOf('"') >= 0) {
        line.append('"').append(field.replace("\"", "\"\"")).append('"');
      } else {
        line.append(field);
      }
    }
    return line.toString();
  }
}
