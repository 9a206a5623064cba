package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.shopstream.pipeline.ErrorRecord.Reason;
import java.util.Arrays;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class TextFieldsCoderTest {

  @Test
  void eventsRoundTripWithMultiByteAndEmptyText() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(
        Event.coder(),
        new Event(
            "e-1",
            "u",
            "p",
            "Crème brûlée ☕ 𝄞",
            "",
            "1.50",
            "view",
            "2026-01-01T00:00:00Z",
            "/data/raw/ä.csv",
            3_000_000_000L));
  }

  @Test
  void longFieldsRoundTrip() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(
        ErrorRecord.coder(),
        ErrorRecord.of("f.csv", 7, Reason.FIELD_TOO_LONG, "too long", "x".repeat(300_000)));
  }

  @Test
  void aTruncatedRecordIsAnErrorNotAShortRecord() throws Exception {
    byte[] bytes =
        CoderUtils.encodeToByteArray(
            Event.coder(), new Event("e", "u", "p", "n", "c", "1", "view", "t", "f", 1));
    assertThrows(
        Exception.class,
        () ->
            CoderUtils.decodeFromByteArray(Event.coder(), Arrays.copyOf(bytes, bytes.length - 3)));
  }
}
