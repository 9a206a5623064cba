package io.shopstream.pipeline.core.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.Events;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.LineParser.Invalid;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import io.shopstream.pipeline.core.parse.LineParser.Skipped;
import io.shopstream.pipeline.core.parse.LineParser.Valid;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonLineParserTest {

  private static final String SOURCE = "file:///in/a.jsonl";
  private static final String GOOD =
      "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"product_id\":\"p1\",\"product_name\":\"Red"
          + " Shoes\",\"category\":\"Clothing\",\"price\":19.99,\"event_type\":\"view\","
          + "\"timestamp\":\"2026-01-01T10:00:00Z\"";

  private static Parsed parse(String line, ExtraColumns extraColumns) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return JsonLineParser.parse(SOURCE, 2, bytes, bytes.length, extraColumns);
  }

  private static Valid valid(String line) {
    return assertInstanceOf(Valid.class, parse(line, ExtraColumns.rescue), line);
  }

  private static ErrorRecord invalid(String line, Reason reason) {
    ErrorRecord error =
        assertInstanceOf(Invalid.class, parse(line, ExtraColumns.rescue), line).error();
    assertEquals(reason, error.reason(), error.message());
    assertEquals(line, error.raw());
    return error;
  }

  @Test
  void anObjectOfTheEightColumnsIsTheEventAsCsvWouldGiveIt() {
    assertEquals(Events.event("e1", SOURCE, 2), valid(GOOD + "}").event());
    assertEquals(
        Events.event("e1", SOURCE, 2),
        valid(GOOD.replace("19.99", "\"19.99\"").replace("\"u1\"", "\" u1 \"") + "}").event(),
        "price as a string, fields trimmed");
    assertEquals("42", valid(GOOD.replace("\"u1\"", "42") + "}").event().userId());
    assertEquals("100", valid(GOOD.replace("19.99", "1e2") + "}").event().price());
    assertEquals(
        "e1", valid(GOOD.replace("\"event_id\"", "\" Event_ID \"") + "}").event().eventId());
  }

  @Test
  void unknownKeysAreExtraColumnsKeptAsTheirJson() {
    String line = GOOD + ",\"coupon\":\"SAVE10\",\"tags\":[1,\"a\"],\"gift\":null}";
    Valid valid = valid(line);
    assertEquals(
        "{\"coupon\":\"SAVE10\",\"tags\":[1,\"a\"],\"gift\":null}", valid.event().extras());
    assertEquals(List.of("coupon", "tags", "gift"), valid.extraColumns());
    Valid ignored = assertInstanceOf(Valid.class, parse(line, ExtraColumns.ignore));
    assertNull(ignored.event().extras());
    assertEquals(List.of("coupon", "tags", "gift"), ignored.extraColumns());
    ErrorRecord rejected =
        assertInstanceOf(Invalid.class, parse(line, ExtraColumns.reject)).error();
    assertEquals(Reason.EXTRA_COLUMNS, rejected.reason());
    assertTrue(rejected.message().contains("coupon, tags, gift"), rejected.message());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[1,2]|found array",
        "\"text\"|found string",
        "{\"event_id\":\"e1\"|not valid JSON",
        "{\"event_id\":\"e1\",\"event_id\":\"e2\"}|not valid JSON: Duplicate field",
        "{\"event_id\":\"e1\"} {}|not valid JSON",
        "{\"event_id\":\"e1\",\"Event_Id\":\"e2\"}|event_id is given twice",
        "{\"event_id\":{\"a\":1}}|event_id is a JSON object",
        "{\"event_id\":true}|event_id is a JSON boolean",
        "e1,u1,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z|not valid JSON",
      })
  void aLineThatIsNotOneJsonObjectOfScalarsIsMalformedJson(String line, String message) {
    ErrorRecord error = invalid(line, Reason.MALFORMED_JSON);
    assertTrue(error.message().contains(message), error.message());
  }

  @Test
  void theCsvRulesApplyToTheValues() {
    assertTrue(
        invalid(GOOD.replace(",\"user_id\":\"u1\"", "") + "}", Reason.EMPTY_FIELD)
            .message()
            .contains("user_id is missing"));
    invalid(GOOD.replace("\"u1\"", "null") + "}", Reason.EMPTY_FIELD);
    invalid(GOOD.replace("\"u1\"", "\"  \"") + "}", Reason.EMPTY_FIELD);
    invalid(GOOD.replace("19.99", "19.999") + "}", Reason.BAD_PRICE);
    invalid(GOOD.replace("19.99", "-1") + "}", Reason.BAD_PRICE);
    invalid(GOOD.replace("\"view\"", "\"click\"") + "}", Reason.BAD_EVENT_TYPE);
    invalid(GOOD.replace("2026-01-01T10:00:00Z", "yesterday") + "}", Reason.BAD_TIMESTAMP);
    assertTrue(
        invalid(GOOD.replace("Red Shoes", "Red\\u0007Shoes") + "}", Reason.CONTROL_CHARACTER)
            .message()
            .contains("product_name"));
    invalid(GOOD.replace("Red Shoes", "Red\u0007Shoes") + "}", Reason.MALFORMED_JSON);
    byte[] latin1 = (GOOD + "}").replace("Red", "R\u00e9d").getBytes(StandardCharsets.ISO_8859_1);
    assertEquals(
        Reason.BAD_ENCODING,
        assertInstanceOf(
                Invalid.class,
                JsonLineParser.parse(SOURCE, 2, latin1, latin1.length, ExtraColumns.rescue))
            .error()
            .reason());
  }

  @Test
  void blankLinesAreSkippedAndBomAndCrRemoved() {
    assertInstanceOf(Skipped.class, parse("  ", ExtraColumns.rescue));
    byte[] first = ("\uFEFF" + GOOD + "}\r").getBytes(StandardCharsets.UTF_8);
    assertEquals(
        "e1",
        assertInstanceOf(
                Valid.class,
                JsonLineParser.parse(SOURCE, 1, first, first.length, ExtraColumns.rescue))
            .event()
            .eventId());
  }
}
