package io.shopstream.pipeline.core.parse;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The columns a file's first line names, in any order and case (docs/reference.md): where each of
 * {@link LineParser#COLUMNS} is in the file's lines, and which of them it lacks.
 */
public record Header(List<String> names, int[] positions, List<String> missing) {

  /** The header the fields are, or null when they name none of the columns (a data line). */
  static Header of(String[] fields) {
    List<String> names = Arrays.stream(fields).map(f -> f.toLowerCase(Locale.ROOT)).toList();
    if (names.stream().noneMatch(LineParser.COLUMNS::contains)) {
      return null;
    }
    int[] positions = LineParser.COLUMNS.stream().mapToInt(names::indexOf).toArray();
    List<String> missing = LineParser.COLUMNS.stream().filter(c -> !names.contains(c)).toList();
    return new Header(names, positions, missing);
  }

  boolean sameAs(String[] fields) {
    if (fields.length != names.size()) {
      return false;
    }
    for (int i = 0; i < fields.length; i++) {
      if (!fields[i].equalsIgnoreCase(names.get(i))) {
        return false;
      }
    }
    return true;
  }
}
