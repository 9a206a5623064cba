package io.shopstream.pipeline.core.parse;

import static io.shopstream.pipeline.Events.event;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

class EventTest {

  @Test
  void copyRowsQuoteOnlyWhatMustBeQuotedAndReadBackExactly() throws IOException {
    Event plain = event("p", "/in/a.csv", 2);
    Event awkward =
        new Event(
            "w", "u,1", "p\"1", "line\nbreak", "back\\slash", "1", "view", "t\r", "", 3, null);
    Event multiByte =
        new Event(
            "m", "u", "p", "Crème ☕ 𝄞", "c", "1", "view", "t", "/ä.csv", 4, "{\"k\":\"a,\\\"b\"}");

    assertEquals(
        "p,u1,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z,7,2,\n",
        new String(plain.copyRow(7), StandardCharsets.UTF_8),
        "the number of the source file in its place; no extras: an unquoted empty field");
    List<Event> events = List.of(plain, awkward, multiByte);
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < events.size(); i++) {
      csv.append(new String(events.get(i).copyRow(i + 1), StandardCharsets.UTF_8));
    }
    List<CSVRecord> read =
        CSVFormat.POSTGRESQL_CSV.parse(new StringReader(csv.toString())).getRecords();
    for (int i = 0; i < events.size(); i++) {
      List<String> columns = new ArrayList<>(events.get(i).columns());
      columns.set(8, Integer.toString(i + 1));
      assertEquals(columns, read.get(i).toList());
      columns.set(8, events.get(i).sourceFile());
      assertEquals(events.get(i), Event.ofColumns(columns));
    }
  }
}
