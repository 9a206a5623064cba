package io.shopstream.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopstream.pipeline.core.parse.ErrorRecord;
import io.shopstream.pipeline.core.parse.ErrorRecord.Reason;
import io.shopstream.pipeline.core.parse.ExtraColumns;
import io.shopstream.pipeline.core.parse.FileLines;
import io.shopstream.pipeline.core.parse.LineParser.Invalid;
import io.shopstream.pipeline.core.parse.LineParser.Parsed;
import io.shopstream.pipeline.core.parse.LineParser.Valid;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code validate FILE...} ({@code runners/validate.sh}, docs/reference.md): reads input files with
 * exactly the pipeline's rules ({@link FileLines}) and says per file what the pipeline would make
 * of each line, without writing anything or needing a database. Exit 0 when every line of every
 * file is valid (or skipped), 1 when some are not, 2 on a usage error.
 */
public final class Validate {

  static final String USAGE =
      "usage: validate [--json] [--limit=N] [--extraColumns=rescue|ignore|reject] FILE...";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Validate() {}

  /** What the pipeline would make of one file's lines. */
  record Report(
      String file,
      long lines,
      long events,
      long duplicates,
      long skipped,
      Map<Reason, Long> errorsByReason,
      Map<String, Long> extraColumns,
      List<ErrorRecord> firstErrors) {

    long errors() {
      return errorsByReason.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** The command line, checked. */
  record Arguments(boolean json, int limit, ExtraColumns extraColumns, List<Path> files) {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command; returns its exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Arguments arguments;
    try {
      arguments = arguments(args);
    } catch (IllegalArgumentException e) {
      err.println("validate: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    List<Report> reports = new ArrayList<>();
    for (Path file : arguments.files()) {
      try {
        reports.add(validate(file, arguments.extraColumns(), arguments.limit()));
      } catch (IOException e) {
        err.println("validate: cannot read " + file + ": " + e.getMessage());
        return 2;
      }
    }
    if (arguments.json()) {
      out.println(json(reports));
    } else {
      reports.forEach(report -> print(report, out));
    }
    return reports.stream().allMatch(r -> r.errors() == 0) ? 0 : 1;
  }

  static Arguments arguments(String[] args) {
    boolean json = false;
    int limit = 10;
    ExtraColumns extraColumns = ExtraColumns.rescue;
    List<Path> files = new ArrayList<>();
    for (String arg : args) {
      if (arg.equals("--json")) {
        json = true;
      } else if (arg.startsWith("--limit=")) {
        try {
          limit = Integer.parseInt(arg.substring("--limit=".length()));
        } catch (NumberFormatException e) {
          limit = -1;
        }
        if (limit < 0) {
          throw new IllegalArgumentException("--limit must be a number of records (0 or more)");
        }
      } else if (arg.startsWith("--extraColumns=")) {
        String mode = arg.substring("--extraColumns=".length());
        try {
          extraColumns = ExtraColumns.valueOf(mode);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "--extraColumns must be rescue, ignore or reject, got " + mode);
        }
      } else if (arg.startsWith("-")) {
        throw new IllegalArgumentException("unknown option " + arg);
      } else {
        Path file = Path.of(arg).toAbsolutePath().normalize();
        if (!FileLines.isInputFormat(file.getFileName().toString())) {
          throw new IllegalArgumentException(
              arg + " is not named as an input file (.csv, .jsonl, either with .gz)");
        }
        if (!Files.isRegularFile(file)) {
          throw new IllegalArgumentException(arg + " is not a file");
        }
        files.add(file);
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no FILE given");
    }
    return new Arguments(json, limit, extraColumns, files);
  }

  /** Reads one file as the pipeline would; of each event id the first line counts, as stored. */
  static Report validate(Path file, ExtraColumns extraColumns, int limit) throws IOException {
    FileLines lines = new FileLines(file.toString(), extraColumns);
    Set<String> ids = new HashSet<>();
    long[] counts = new long[3]; // events, duplicates, skipped
    Map<Reason, Long> errorsByReason = new EnumMap<>(Reason.class);
    List<ErrorRecord> first = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      lines.read(
          in,
          (Parsed parsed) -> {
            if (parsed instanceof Valid valid) {
              counts[ids.add(valid.event().eventId()) ? 0 : 1]++;
            } else if (parsed instanceof Invalid invalid) {
              errorsByReason.merge(invalid.error().reason(), 1L, Long::sum);
              if (first.size() < limit) {
                first.add(invalid.error());
              }
            } else {
              counts[2]++;
            }
          });
    }
    return new Report(
        file.toString(),
        lines.lines(),
        counts[0],
        counts[1],
        counts[2],
        errorsByReason,
        lines.extraColumns(),
        first);
  }

  private static void print(Report report, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "%s: %d lines: %d events, %d duplicates within the file, %d skipped, %d errors%n",
        report.file(),
        report.lines(),
        report.events(),
        report.duplicates(),
        report.skipped(),
        report.errors());
    report.errorsByReason().forEach((reason, n) -> out.printf("  %-18s %d%n", reason, n));
    if (!report.extraColumns().isEmpty()) {
      out.println("  extra columns (lines with a value): " + report.extraColumns());
    }
    report.firstErrors().forEach(record -> out.println("  " + record.toJson()));
    if (report.firstErrors().size() < report.errors()) {
      out.printf(
          "  ... %d more error records (--limit=N shows more)%n",
          report.errors() - report.firstErrors().size());
    }
  }

  private static String json(List<Report> reports) {
    ArrayNode files = JSON.createArrayNode();
    for (Report report : reports) {
      ObjectNode file = files.addObject();
      file.put("file", report.file());
      file.put("lines", report.lines());
      file.put("events", report.events());
      file.put("duplicates", report.duplicates());
      file.put("skipped", report.skipped());
      file.put("errors", report.errors());
      ObjectNode reasons = file.putObject("errors_by_reason");
      report.errorsByReason().forEach((reason, n) -> reasons.put(reason.name(), n));
      ObjectNode extras = file.putObject("extra_columns");
      report.extraColumns().forEach(extras::put);
      ArrayNode errors = file.putArray("first_errors");
      report.firstErrors().forEach(record -> errors.add(record.toNode()));
    }
    ObjectNode all = JSON.createObjectNode();
    all.put("valid", reports.stream().allMatch(r -> r.errors() == 0));
    all.set("files", files);
    return all.toString();
  }
}
