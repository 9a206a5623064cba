package io.shopstream.pipeline.core.parse;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.LineParser.Decoded;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Validates one line of a JSON Lines file (docs/reference.md): one JSON object whose keys are the
 * eight columns (matched as a CSV header's names are: trimmed, in any case), {@code price} a number
 * or a string, the other values strings (a number is taken as its text); any other key is an extra
 * column. Then the same rules as a CSV line. Strict JSON: a key given twice, trailing text after
 * the object, or a raw control character in a string make the line {@code MALFORMED_JSON}.
 */
public final class JsonLineParser {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private JsonLineParser() {}

  /**
   * @param bytes the line without its LF; a trailing CR and a leading BOM on line 1 are removed
   */
  public static Parsed parse(
      String source, long lineNumber, byte[] bytes, int length, ExtraColumns extraColumns) {
    Decoded decoded = LineParser.decode(source, lineNumber, bytes, length);
    if (decoded.early() != null) {
      return decoded.early();
    }
    String line = decoded.line();
    JsonNode tree;
    try {
      tree = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return malformed(source, lineNumber, "not valid JSON: " + e.getOriginalMessage(), line);
    }
    if (!(tree instanceof ObjectNode object)) {
      return malformed(
          source,
          lineNumber,
          "a line must be one JSON object, found "
              + tree.getNodeType().name().toLowerCase(Locale.ROOT),
          line);
    }
    String[] fields = new String[LineParser.COLUMNS.size()];
    ObjectNode extras = null;
    List<String> extraNames = List.of();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      int column = LineParser.COLUMNS.indexOf(entry.getKey().strip().toLowerCase(Locale.ROOT));
      if (column < 0) {
        if (extras == null) {
          extras = JSON.createObjectNode();
          extraNames = new ArrayList<>();
        }
        extras.set(entry.getKey(), entry.getValue());
        extraNames.add(entry.getKey());
        continue;
      }
      String name = LineParser.COLUMNS.get(column);
      if (fields[column] != null) {
        return malformed(source, lineNumber, name + " is given twice", line);
      }
      JsonNode value = entry.getValue();
      if (value.isTextual()) {
        fields[column] = value.textValue().strip();
      } else if (value.isNumber()) {
        fields[column] = value.decimalValue().toPlainString();
      } else if (!value.isNull()) {
        return malformed(
            source,
            lineNumber,
            name
                + " is a JSON "
                + value.getNodeType().name().toLowerCase(Locale.ROOT)
                + ", not a string or number",
            line);
      }
    }
    for (int i = 0; i < fields.length; i++) {
      if (fields[i] == null) {
        return LineParser.invalid(
            source,
            lineNumber,
            Reason.EMPTY_FIELD,
            LineParser.COLUMNS.get(i) + " is missing or null",
            line);
      }
      int control = LineParser.firstControl(fields[i]);
      if (control >= 0) {
        return LineParser.controlCharacter(
            source, lineNumber, line, fields[i].charAt(control), LineParser.COLUMNS.get(i));
      }
    }
    return LineParser.validate(source, lineNumber, line, fields, extras, extraNames, extraColumns);
  }

  private static Parsed malformed(String source, long lineNumber, String message, String line) {
    return LineParser.invalid(source, lineNumber, Reason.MALFORMED_JSON, message, line);
  }
}
