package io.shopstream.pipeline.core.parse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The columns a file's first line names, in any order and case (docs/reference.md): where each of
 * {@link LineParser#COLUMNS} is in the file's lines, which of them it lacks, and its extra columns:
 * every other position, under its name as written (a blank name becomes {@code column_N}, a name
 * seen before gets {@code _2}, {@code _3}, ... so that no value shares a key with another).
 */
public record Header(
    List<String> names,
    int[] positions,
    List<String> missing,
    List<String> extraNames,
    int[] extraPositions) {

  /** The header the fields are, or null when they name none of the columns (a data line). */
  static Header of(String[] fields) {
    List<String> names = Arrays.stream(fields).map(f -> f.toLowerCase(Locale.ROOT)).toList();
    if (names.stream().noneMatch(LineParser.COLUMNS::contains)) {
      return null;
    }
    int[] positions = LineParser.COLUMNS.stream().mapToInt(names::indexOf).toArray();
    List<String> missing = LineParser.COLUMNS.stream().filter(c -> !names.contains(c)).toList();
    Set<Integer> mapped = new HashSet<>();
    Arrays.stream(positions).forEach(mapped::add);
    Set<String> taken = new HashSet<>(LineParser.COLUMNS);
    List<String> extraNames = new ArrayList<>();
    List<Integer> extraPositions = new ArrayList<>();
    for (int i = 0; i < fields.length; i++) {
      if (!mapped.contains(i)) {
        String name = fields[i].isEmpty() ? "column_" + (i + 1) : fields[i];
        String unique = name;
        for (int n = 2; !taken.add(unique.toLowerCase(Locale.ROOT)); n++) {
          unique = name + "_" + n;
        }
        extraNames.add(unique);
        extraPositions.add(i);
      }
    }
    return new Header(
        names,
        positions,
        missing,
        List.copyOf(extraNames),
        extraPositions.stream().mapToInt(Integer::intValue).toArray());
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
