package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.shopstream.pipeline.ErrorRecord.Reason;
import java.util.Arrays;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class TextFieldsCoderTest {

  @Test
  void recordsRoundTripWithMultiByteAndEmptyText() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(
        ErrorRecord.coder(),
        ErrorRecord.of("/data/raw/ä.csv", 3_000_000_000L, Reason.BAD_PRICE, "", "Crème ☕ 𝄞"));
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
            ErrorRecord.coder(), ErrorRecord.of("f", 1, Reason.BAD_PRICE, "m", "r"));
    assertThrows(
        Exception.class,
        () ->
            CoderUtils.decodeFromByteArray(
                ErrorRecord.coder(), Arrays.copyOf(bytes, bytes.length - 3)));
  }
}
