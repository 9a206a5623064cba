package io.shopstream.pipeline.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's status server ({@code --statusPort}): the live page {@code /}, its data {@code
 * /api/status}, the ledger {@code /api/files[/id]}, error files {@code /errors/id}, {@code
 * /metrics} (Prometheus) and {@code /health}. The JDK's own HTTP server: a handful of read-only
 * routes need no framework beside Spark's.
 */
public final class StatusServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
  private static final Pattern FILE = Pattern.compile("/api/files/(\\d{1,18})");
  private static final Pattern ERRORS = Pattern.compile("/errors/(\\d{1,18})");
  private static final int MAX_PAGE_SIZE = 500;

  private final HttpServer server;
  private final ExecutorService threads;
  private final StatusReport report;

  private StatusServer(HttpServer server, StatusReport report) {
    this.server = server;
    this.report = report;
    this.threads =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread thread = new Thread(r, "shopstream-status");
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts serving on {@code host:port} (port 0 in tests: any free port). */
  public static StatusServer start(String host, int port, StatusReport report) throws IOException {
    return new StatusServer(HttpServer.create(new InetSocketAddress(host, port), 0), report);
  }

  public URI address() {
    InetSocketAddress bound = server.getAddress();
    return URI.create("http://" + bound.getHostString() + ":" + bound.getPort() + "/");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        send(exchange, 405, "text/plain", "GET only\n");
        return;
      }
      route(exchange, exchange.getRequestURI().getPath());
    } catch (SQLException | IOException | RuntimeException e) {
      // The page and scrapers show why; the pipeline's console is not the place.
      LOG.debug("Status request {} failed", exchange.getRequestURI(), e);
      trySend(exchange, 503, json(Map.of("error", String.valueOf(e.getMessage()))));
    }
  }

  private void route(HttpExchange exchange, String path) throws IOException, SQLException {
    Matcher file = FILE.matcher(path);
    Matcher errors = ERRORS.matcher(path);
    if (path.equals("/")) {
      try (InputStream page = StatusServer.class.getResourceAsStream("/status.html")) {
        send(exchange, 200, "text/html; charset=utf-8", page.readAllBytes());
      }
    } else if (path.equals("/api/status")) {
      send(exchange, 200, "application/json", json(report.page()));
    } else if (path.equals("/api/files")) {
      Map<String, String> query = query(exchange.getRequestURI());
      int page = Math.max(0, intOr(query.get("page"), 0));
      int size = Math.min(MAX_PAGE_SIZE, Math.max(1, intOr(query.get("size"), 50)));
      send(exchange, 200, "application/json", json(report.ledger(page, size)));
    } else if (file.matches()) {
      Optional<Map<String, Object>> row = report.file(Long.parseLong(file.group(1)));
      if (row.isPresent()) {
        send(exchange, 200, "application/json", json(row.get()));
      } else {
        send(exchange, 404, "application/json", json(Map.of("error", "no such file")));
      }
    } else if (errors.matches()) {
      Optional<String> errorFile = report.errorFile(Long.parseLong(errors.group(1)));
      if (errorFile.isEmpty()) {
        send(exchange, 404, "text/plain", "no error file\n");
        return;
      }
      try (InputStream in =
          Channels.newInputStream(
              FileSystems.open(FileSystems.matchNewResource(errorFile.get(), false)))) {
        send(exchange, 200, "text/plain; charset=utf-8", in.readAllBytes());
      }
    } else if (path.equals("/metrics")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      StatusReport.Files files;
      try {
        files = report.files();
      } catch (SQLException e) {
        files = null; // the run's counters are still worth a scrape during an outage
      }
      PrometheusMetrics.write(out, report.run(), files);
      send(exchange, 200, PrometheusMetrics.CONTENT_TYPE, out.toByteArray());
    } else if (path.equals("/health")) {
      String problem = report.unhealthy();
      send(
          exchange,
          problem == null ? 200 : 503,
          "application/json",
          json(
              problem == null
                  ? Map.of("status", "ok")
                  : Map.of("status", "down", "reason", problem)));
    } else {
      send(exchange, 404, "text/plain", "not found\n");
    }
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> query = new LinkedHashMap<>();
    if (uri.getQuery() != null) {
      for (String pair : uri.getQuery().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          query.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
    }
    return query;
  }

  private static int intOr(String value, int fallback) {
    try {
      return value == null ? fallback : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static byte[] json(Object value) throws IOException {
    return StatusReport.JSON.writeValueAsBytes(value);
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    send(exchange, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** After a failure part-way, the headers may be gone already: then the client sees it cut. */
  private static void trySend(HttpExchange exchange, int status, byte[] body) {
    try {
      send(exchange, status, "application/json", body);
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not answer {}", exchange.getRequestURI(), e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
