package io.shopstream.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.shopstream.generator.Generator;
import io.shopstream.pipeline.parse.Event;
import io.shopstream.pipeline.parse.LineParser;
import io.shopstream.pipeline.parse.LineParser.Invalid;
import io.shopstream.pipeline.parse.LineParser.Parsed;
import io.shopstream.pipeline.parse.LineParser.Valid;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Files made by the generator in a staging folder, landed one by one into the input folder. */
public final class GeneratedFiles {

  /** What files landed in a folder must give: valid events by id and "source:line" errors. */
  record Expected(Map<String, Event> events, Set<String> errors) {}

  private GeneratedFiles() {}

  /** 2,000 lines per file with 1% invalid lines and 2% duplicates; sorted by name. */
  public static List<Path> generate(Path staging, int files, long seed) throws Exception {
    return generate(staging, files, 2000, seed);
  }

  public static List<Path> generate(Path staging, int files, int linesPerFile, long seed)
      throws Exception {
    StringWriter out = new StringWriter();
    assertEquals(
        0,
        Generator.execute(
            new PrintWriter(out),
            "--count",
            "" + files * linesPerFile,
            "--eventsPerFile",
            "" + linesPerFile,
            "--rate",
            "0",
            "--seed",
            "" + seed,
            "--invalidRate",
            "0.01",
            "--duplicateRate",
            "0.02",
            "--outputDir",
            staging.toString()),
        out.toString());
    try (Stream<Path> listed = Files.list(staging)) {
      return listed.sorted().toList();
    }
  }

  /** Lands a copy as writers should: a hidden name first, then a rename. */
  public static void land(Path file, Path folder) throws Exception {
    Path temp = folder.resolve("." + file.getFileName());
    Files.copy(file, temp);
    Files.move(temp, folder.resolve(file.getFileName()));
  }

  public static Expected expected(List<Path> files, Path folder) throws Exception {
    Expected expected = new Expected(new HashMap<>(), new HashSet<>());
    for (Path file : files) {
      String source = folder.resolve(file.getFileName()).toString();
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        byte[] bytes = lines.get(i).getBytes(StandardCharsets.UTF_8);
        Parsed parsed = LineParser.parse(source, i + 1, bytes, bytes.length);
        if (parsed instanceof Valid valid) {
          expected.events().putIfAbsent(valid.event().eventId(), valid.event());
        } else if (parsed instanceof Invalid) {
          expected.errors().add(source + ":" + (i + 1));
        }
      }
    }
    return expected;
  }
}
