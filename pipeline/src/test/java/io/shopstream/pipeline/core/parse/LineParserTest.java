package io.shopstream.pipeline.core.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shopstream.pipeline.Events;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.LineParser.Invalid;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import io.shopstream.pipeline.core.parse.LineParser.Skipped;
import io.shopstream.pipeline.core.parse.LineParser.Valid;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LineParserTest {

  private static final String GOOD = "e1,u1,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z";

  private static Parsed parse(long line, byte[] bytes) {
    return LineParser.parse("file:///in/a.csv", line, bytes, bytes.length);
  }

  private static Parsed parse(String line) {
    return parse(2, line.getBytes(StandardCharsets.UTF_8));
  }

  private static Event valid(String line) {
    return assertInstanceOf(Valid.class, parse(line), line).event();
  }

  private static ErrorRecord invalid(String line, Reason reason) {
    ErrorRecord error = assertInstanceOf(Invalid.class, parse(line), line).error();
    assertEquals(reason, error.reason(), error.message());
    assertEquals("file:///in/a.csv", error.source());
    assertEquals(2, error.line());
    return error;
  }

  @Test
  void validLineKeepsSourceAndLine() {
    Event e = valid(GOOD);
    assertEquals(Events.event("e1", "file:///in/a.csv", 2), e);
  }

  @Test
  void quotedCommasAndDoubledQuotes() {
    Event e = valid("e1,u1,p1,\"Shoes, red\",Clothing,19.99,view,2026-01-01T10:00:00Z");
    assertEquals("Shoes, red", e.productName());
    e = valid("e1,u1,p1,\"27\"\" Monitor\",Electronics,199,purchase,2026-01-01T10:00:00Z");
    assertEquals("27\" Monitor", e.productName());
  }

  @Test
  void fieldsAreTrimmedAndTrailingWhitespaceIgnored() {
    Event e = valid(" e1 , u1,p1,Red Shoes ,Clothing, 19.9 ,add_to_cart,2026-01-01T10:00:00Z \t ");
    assertEquals("e1", e.eventId());
    assertEquals("Red Shoes", e.productName());
    assertEquals("19.9", e.price());
    assertEquals("add_to_cart", e.eventType());
  }

  @Test
  void bomAndCrlfAreRemoved() {
    byte[] line = ("\uFEFF" + GOOD + "\r").getBytes(StandardCharsets.UTF_8);
    assertEquals("e1", assertInstanceOf(Valid.class, parse(1, line)).event().eventId());
    byte[] header =
        ("\uFEFF" + String.join(",", LineParser.COLUMNS) + "\r").getBytes(StandardCharsets.UTF_8);
    assertInstanceOf(Skipped.class, parse(1, header));
  }

  @Test
  void headerAnywhereAndBlankLinesAreSkipped() {
    assertInstanceOf(Skipped.class, parse(String.join(",", LineParser.COLUMNS)));
    assertInstanceOf(Skipped.class, parse(""));
    assertInstanceOf(Skipped.class, parse("   \t"));
    assertInstanceOf(Skipped.class, parse(" \u000B\u3000")); // whitespace, not plain ASCII
    assertInstanceOf(Skipped.class, parse(2, "\r".getBytes(StandardCharsets.UTF_8)));
  }

  private static Header header(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return LineParser.header(bytes, bytes.length);
  }

  private static Parsed parse(String line, Header header) {
    return parse(line, header, ExtraColumns.rescue);
  }

  private static Parsed parse(String line, Header header, ExtraColumns extraColumns) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return LineParser.parse("file:///in/a.csv", 2, bytes, bytes.length, header, extraColumns);
  }

  @Test
  void aHeaderMapsColumnsByNameInAnyOrderAndCaseAndRescuesExtraColumns() {
    String names =
        " User_ID ,event_id,Coupon,product_id,product_name,category,price,EVENT_TYPE,timestamp";
    Header header = header(names);
    String line = "u1,e1,SAVE10,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z";
    Valid valid = assertInstanceOf(Valid.class, parse(line, header));
    Event plain = Events.event("e1", "file:///in/a.csv", 2);
    assertEquals(
        new Event(
            plain.eventId(),
            plain.userId(),
            plain.productId(),
            plain.productName(),
            plain.category(),
            plain.price(),
            plain.eventType(),
            plain.eventTime(),
            plain.sourceFile(),
            plain.sourceLine(),
            "{\"Coupon\":\"SAVE10\"}"),
        valid.event());
    assertEquals(java.util.List.of("Coupon"), valid.extraColumns());
    Valid ignored = assertInstanceOf(Valid.class, parse(line, header, ExtraColumns.ignore));
    assertEquals(plain, ignored.event());
    assertEquals(java.util.List.of("Coupon"), ignored.extraColumns(), "counted all the same");
    ErrorRecord rejected =
        assertInstanceOf(Invalid.class, parse(line, header, ExtraColumns.reject)).error();
    assertEquals(Reason.EXTRA_COLUMNS, rejected.reason());
    assertTrue(rejected.message().contains("Coupon"), rejected.message());
    assertEquals(line, rejected.raw());
    String noCoupon = "u1,e1, ,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z";
    Valid empty = assertInstanceOf(Valid.class, parse(noCoupon, header, ExtraColumns.reject));
    assertEquals(plain, empty.event(), "an empty extra field holds no value");
    assertInstanceOf(Skipped.class, parse(names.toLowerCase(), header), "the header again");
    assertInstanceOf(Skipped.class, parse("", header));
    ErrorRecord short8 = assertInstanceOf(Invalid.class, parse(GOOD, header)).error();
    assertEquals(Reason.FIELD_COUNT, short8.reason());
    assertTrue(short8.message().contains("expected 9 fields"), short8.message());
  }

  @Test
  void extraColumnNamesAreMadeUniqueAndBlankOnesNamedByPosition() {
    Header header =
        header(
            "event_id,user_id,product_id,product_name,category,price,event_type,timestamp,,x,X,price");
    assertEquals(java.util.List.of("column_9", "x", "X_2", "price_2"), header.extraNames());
    Valid valid = assertInstanceOf(Valid.class, parse(GOOD + ",a,b,c,d", header));
    assertEquals(
        "{\"column_9\":\"a\",\"x\":\"b\",\"X_2\":\"c\",\"price_2\":\"d\"}", valid.event().extras());
  }

  @Test
  void aHeaderLackingAColumnMakesEveryDataLineAHeaderMismatch() {
    Header header = header("event_id,product_id,product_name,category,price,event_type,timestamp");
    ErrorRecord error =
        assertInstanceOf(
                Invalid.class, parse("e1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", header))
            .error();
    assertEquals(Reason.HEADER_MISMATCH, error.reason());
    assertTrue(error.message().contains("user_id"), error.message());
    assertEquals("e1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z", error.raw());
    assertInstanceOf(Skipped.class, parse("", header));
  }

  @Test
  void aFirstLineNamingNoColumnIsData() {
    assertEquals(null, header(GOOD));
    assertEquals(null, header("\"unclosed"));
  }

  @Test
  void openQuoteIsMalformedAndConfinedToItsLine() {
    invalid("e1,u1,p1,\"Shoes, red,Clothing,19.99,view,2026-01-01T10:00:00Z", Reason.MALFORMED_CSV);
    invalid(
        "e1,u1,p1,\"Shoes\" red,Clothing,19.99,view,2026-01-01T10:00:00Z", Reason.MALFORMED_CSV);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "e1,u1,p1,Shoes,Clothing,19.99,view | FIELD_COUNT",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z,extra | FIELD_COUNT",
        "e1,,p1,Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z | EMPTY_FIELD",
        "e1,u1,p1,Shoes,'  ',19.99,view,2026-01-01T10:00:00Z | EMPTY_FIELD",
        "e1,u1,p1,Shoes,Clothing,-1,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,1.999,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,1e3,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,abc,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,19.,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,100000000,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,.5,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,+1,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,1.2.3,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,１,view,2026-01-01T10:00:00Z | BAD_PRICE",
        "e1,u1,p1,Shoes,Clothing,19.99,View,2026-01-01T10:00:00Z | BAD_EVENT_TYPE",
        "e1,u1,p1,Shoes,Clothing,19.99,refund,2026-01-01T10:00:00Z | BAD_EVENT_TYPE",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-01-01 | BAD_TIMESTAMP",
        "e1,u1,p1,Shoes,Clothing,19.99,view,yesterday | BAD_TIMESTAMP",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-13-01T10:00:00Z | BAD_TIMESTAMP",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-02-30T10:00:00Z | BAD_TIMESTAMP",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-01-01T24:00:00Z | BAD_TIMESTAMP",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-01-01T10:00:00.1234567890Z | BAD_TIMESTAMP",
        "e1,u1,p1,Shoes,Clothing,19.99,view,2026-01-01T10:0a:00Z | BAD_TIMESTAMP",
      })
  void eachRuleHasItsReason(String line, Reason reason) {
    String message = invalid(line.replace('\'', '"'), reason).message();
    assertTrue(message.length() > 10, message);
  }

  @Test
  void messagesNameTheField() {
    assertTrue(
        invalid("e1,,p1,Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z", Reason.EMPTY_FIELD)
            .message()
            .contains("user_id"));
    assertTrue(
        invalid("e1,u1,p1,Shoes,Clothing,x,view,2026-01-01T10:00:00Z", Reason.BAD_PRICE)
            .message()
            .contains("price"));
    assertTrue(
        invalid(
                "e1,u1,p1,Shoes,Clothing\u0001,1,view,2026-01-01T10:00:00Z",
                Reason.CONTROL_CHARACTER)
            .message()
            .contains("category"));
  }

  @Test
  void lengthLimits() {
    String id64 = "x".repeat(64);
    valid(id64 + ",u1,p1," + "n".repeat(255) + ",Clothing,1,view,2026-01-01T10:00:00Z");
    assertTrue(
        invalid(
                "x".repeat(65) + ",u1,p1,Shoes,Clothing,1,view,2026-01-01T10:00:00Z",
                Reason.FIELD_TOO_LONG)
            .message()
            .contains("event_id"));
    invalid(
        "e1,u1,p1," + "n".repeat(256) + ",Clothing,1,view,2026-01-01T10:00:00Z",
        Reason.FIELD_TOO_LONG);
    invalid(
        "e1,u1,p1,Shoes," + "c".repeat(65) + ",1,view,2026-01-01T10:00:00Z", Reason.FIELD_TOO_LONG);
  }

  @Test
  void priceBounds() {
    assertEquals("0", valid("e1,u1,p1,Shoes,Clothing,0,view,2026-01-01T10:00:00Z").price());
    assertEquals(
        "99999999.99",
        valid("e1,u1,p1,Shoes,Clothing,99999999.99,view,2026-01-01T10:00:00Z").price());
    assertEquals(
        "0099999999.9",
        valid("e1,u1,p1,Shoes,Clothing,0099999999.9,view,2026-01-01T10:00:00Z").price());
  }

  @ParameterizedTest
  @CsvSource({
    "2026-01-01T10:00:00Z, 2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00.123456Z, 2026-01-01T10:00:00.123456Z",
    "2026-01-01T12:00:00+02:00, 2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00, 2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00.5-01:30, 2026-01-01T11:30:00.500Z",
    "2026-01-01T10:00:00.5Z, 2026-01-01T10:00:00.500Z",
    "2026-01-01T10:00:00.000Z, 2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00.120Z, 2026-01-01T10:00:00.120Z",
    "2026-01-01T10:00:00.120000Z, 2026-01-01T10:00:00.120Z",
    "2026-01-01T10:00:00.000001Z, 2026-01-01T10:00:00.000001Z",
    "2026-01-01T10:00:00.000000100Z, 2026-01-01T10:00:00.000000100Z",
    "0001-01-01T00:00:00.1Z, 0001-01-01T00:00:00.100Z",
    "2026-01-01T10:00:00.123456789Z, 2026-01-01T10:00:00.123456789Z",
    "2028-02-29T23:59:59.9Z, 2028-02-29T23:59:59.900Z",
    "2026-01-01t10:00:00z, 2026-01-01T10:00:00Z",
  })
  void timestampsAreNormalisedToUtc(String timestamp, String utc) {
    assertEquals(utc, valid("e1,u1,p1,Shoes,Clothing,1,view," + timestamp).eventTime());
  }

  @Test
  void controlCharactersOtherThanTabAreRejected() {
    invalid("e1,u1,p1,Sh\u0000oes,Clothing,1,view,2026-01-01T10:00:00Z", Reason.CONTROL_CHARACTER);
    invalid("e1,u1,p1,Sh\roes,Clothing,1,view,2026-01-01T10:00:00Z", Reason.CONTROL_CHARACTER);
    invalid("e1,u1,p1,Shoes\u007F,Clothing,1,view,2026-01-01T10:00:00Z", Reason.CONTROL_CHARACTER);
    invalid("e1,u1,p1,Shoes\u0085,Clothing,1,view,2026-01-01T10:00:00Z", Reason.CONTROL_CHARACTER);
    assertEquals(
        "Sh\toes", valid("e1,u1,p1,Sh\toes,Clothing,1,view,2026-01-01T10:00:00Z").productName());
  }

  @Test
  void invalidUtf8IsBadEncodingAndKeepsTheLine() {
    byte[] good = GOOD.getBytes(StandardCharsets.UTF_8);
    byte[] bad = new byte[good.length + 1];
    System.arraycopy(good, 0, bad, 0, good.length);
    bad[good.length] = (byte) 0xC3; // a truncated two-byte sequence
    ErrorRecord error = assertInstanceOf(Invalid.class, parse(7, bad)).error();
    assertEquals(Reason.BAD_ENCODING, error.reason());
    assertEquals(7, error.line());
    assertTrue(error.raw().startsWith(GOOD), error.raw());
  }

  @Test
  void megabyteLineIsRejectedAndItsRawTextCut() {
    String huge = "e1,u1,p1," + "n".repeat(1 << 20) + ",Clothing,1,view,2026-01-01T10:00:00Z";
    ErrorRecord error = invalid(huge, Reason.FIELD_TOO_LONG);
    assertEquals(ErrorRecord.MAX_RAW_CHARS, error.raw().length());
  }

  @Test
  void errorRecordIsOneJsonLine() {
    ErrorRecord error =
        invalid("e1,u1,p1,\"x\ty\",C,1,refund,2026-01-01T10:00:00Z", Reason.BAD_EVENT_TYPE);
    String json = error.toJson();
    assertTrue(
        json.startsWith(
            "{\"source\":\"file:///in/a.csv\",\"line\":2,\"reason\":\"BAD_EVENT_TYPE\""),
        json);
    assertTrue(json.contains("\"raw\":\"e1,u1,p1,\\\"x\\ty\\\",C,1,refund,"), json);
    assertTrue(json.contains("\"detected_at\":\"20"), json);
    assertTrue(!json.contains("\n"));
  }
}
