package io.shopstream.pipeline;

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
        new Event("w", "u,1", "p\"1", "line\nbreak", "back\\slash", "1", "view", "t\r", "", 3);
    Event multiByte = new Event("m", "u", "p", "Crème ☕ 𝄞", "c", "1", "view", "t", "/ä.csv", 4);

    assertEquals(
        "p,u1,p1,Red Shoes,Clothing,19.99,view,2026-01-01T10:00:00Z,/in/a.csv,2\n",
        new String(plain.copyRow(), StandardCharsets.UTF_8));
    String csv =
        new String(plain.copyRow(), StandardCharsets.UTF_8)
            + new String(awkward.copyRow(), StandardCharsets.UTF_8)
            + new String(multiByte.copyRow(), StandardCharsets.UTF_8);
    List<List<String>> read = new ArrayList<>();
    for (CSVRecord record : CSVFormat.POSTGRESQL_CSV.parse(new StringReader(csv))) {
      read.add(record.toList());
    }
    assertEquals(List.of(plain.columns(), awkward.columns(), multiByte.columns()), read);
    for (int i = 0; i < read.size(); i++) {
      assertEquals(List.of(plain, awkward, multiByte).get(i), Event.ofColumns(read.get(i)));
    }
  }
}
