package io.shopstream.pipeline.ops;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), as a scraper reads it:
 * every sample belongs to a family declared by its {@code # TYPE} line (a counter by its {@code
 * _total} sample, a histogram by its {@code _bucket}, {@code _sum} and {@code _count} samples),
 * names and label names are valid, label values are quoted and escaped, and values are numbers.
 * Anything else throws.
 */
final class PrometheusText {

  private static final Pattern TYPE =
      Pattern.compile(
          "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( -?\\d+)?");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\",?");

  private PrometheusText() {}

  /** Samples by name and sorted labels ({@code name{k=v,...}}) with their values. */
  static Map<String, Double> parse(String text) {
    Map<String, String> types = new HashMap<>();
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher type = TYPE.matcher(line);
      if (type.matches()) {
        if (types.put(type.group(1), type.group(2)) != null) {
          throw new IllegalArgumentException("family declared twice: " + line);
        }
      } else if (line.startsWith("# HELP ") || line.isEmpty()) {
        continue;
      } else {
        Matcher sample = SAMPLE.matcher(line);
        if (!sample.matches() || line.startsWith("#")) {
          throw new IllegalArgumentException("not a sample: " + line);
        }
        String name = sample.group(1);
        if (!declared(name, types)) {
          throw new IllegalArgumentException("sample of no declared family: " + line);
        }
        String key = name + labels(sample.group(3), line);
        if (samples.put(key, Double.parseDouble(sample.group(4))) != null) {
          throw new IllegalArgumentException("sample twice: " + line);
        }
      }
    }
    return samples;
  }

  private static boolean declared(String name, Map<String, String> types) {
    if (types.containsKey(name)) {
      return true;
    }
    return family(name, types, "histogram", "_bucket", "_sum", "_count")
        || family(name, types, "counter", "_total", "_created");
  }

  private static boolean family(
      String name, Map<String, String> types, String type, String... suffixes) {
    for (String suffix : suffixes) {
      if (name.endsWith(suffix)
          && type.equals(types.get(name.substring(0, name.length() - suffix.length())))) {
        return true;
      }
    }
    return false;
  }

  private static String labels(String labels, String line) {
    if (labels == null) {
      return "";
    }
    Map<String, String> sorted = new TreeMap<>();
    Set<String> names = new HashSet<>();
    Matcher label = LABEL.matcher(labels);
    int end = 0;
    while (label.find() && label.start() == end) {
      if (!names.add(label.group(1))) {
        throw new IllegalArgumentException("label twice: " + line);
      }
      sorted.put(label.group(1), label.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
      end = label.end();
    }
    if (end != labels.length()) {
      throw new IllegalArgumentException("bad labels: " + line);
    }
    return sorted.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }
}
