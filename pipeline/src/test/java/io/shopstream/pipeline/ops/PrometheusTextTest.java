package io.shopstream.pipeline.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The test's reader of the Prometheus text format refuses what a scraper would. */
class PrometheusTextTest {

  @Test
  void readsCountersHistogramsAndLabels() {
    assertEquals(
        Map.of(
            "a_total", 3.0,
            "h_bucket{le=+Inf}", 2.0,
            "h_count", 2.0,
            "g{reason=BAD \"x\",state=ok}", 1.5),
        PrometheusText.parse(
            "# HELP a A.\n# TYPE a counter\na_total 3\n# TYPE h histogram\n"
                + "h_bucket{le=\"+Inf\"} 2\nh_count 2\n# TYPE g gauge\n"
                + "g{state=\"ok\",reason=\"BAD \\\"x\\\"\"} 1.5\n"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "x 1\n", // no family
        "# TYPE g gauge\ng{a=b} 1\n", // unquoted label value
        "# TYPE g gauge\ng one\n", // not a number
        "# TYPE g gauge\ng 1\ng 2\n", // a sample twice
        "# TYPE g gauge\n# TYPE g counter\n", // a family twice
        "# TYPE 9g gauge\n9g 1\n", // a bad name
      })
  void refusesWhatAScraperWould(String text) {
    assertThrows(RuntimeException.class, () -> PrometheusText.parse(text));
  }
}
