package io.shopstream.pipeline.core.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A rejected input line with its failure context (the dead letter of docs/reference.md): it keeps
 * the original line so nothing is lost, and says where it came from and why it was refused.
 */
public record ErrorRecord(
    String source, long line, Reason reason, String message, String raw, String detectedAt) {

  /** The reason codes of docs/reference.md. */
  public enum Reason {
    FIELD_COUNT,
    MALFORMED_CSV,
    EMPTY_FIELD,
    FIELD_TOO_LONG,
    BAD_PRICE,
    BAD_EVENT_TYPE,
    BAD_TIMESTAMP,
    BAD_ENCODING,
    CONTROL_CHARACTER,
    HEADER_MISMATCH,
    MALFORMED_JSON,
    EXTRA_COLUMNS,
    DB_REJECTED
  }

  public static final int MAX_RAW_CHARS = 4096;
  private static final ObjectMapper JSON = new ObjectMapper();

  public static ErrorRecord of(
      String source, long line, Reason reason, String message, String raw) {
    String cut = raw.length() > MAX_RAW_CHARS ? raw.substring(0, MAX_RAW_CHARS) : raw;
    return new ErrorRecord(source, line, reason, message, cut, Instant.now().toString());
  }

  /** The record as a JSON object, with the fields of docs/reference.md. */
  public ObjectNode toNode() {
    ObjectNode node = JSON.createObjectNode();
    node.put("source", source);
    node.put("line", line);
    node.put("reason", reason.name());
    node.put("message", message);
    node.put("raw", raw);
    node.put("detected_at", detectedAt);
    return node;
  }

  /** One JSON Lines object, as written to the error folder. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toNode());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings always serialises", e);
    }
  }
}
