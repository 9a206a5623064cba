package io.shopstream.pipeline.core.parse;

/**
 * What becomes of a line's values in columns beyond the eight ({@code --extraColumns},
 * docs/reference.md): a header-mapped CSV file's other columns, a JSON object's other keys.
 */
public enum ExtraColumns {
  /** Kept per row in {@code user_events.extras}, name to value. */
  rescue,
  /** Not stored; the ledger still counts them per name. */
  ignore,
  /** The line is an {@code EXTRA_COLUMNS} error record. */
  reject
}
