package io.shopstream.pipeline;

import io.shopstream.pipeline.core.parse.Event;

/** Test events. */
public final class Events {
  private Events() {}

  public static Event event(String id, String file, long line) {
    return new Event(
        id,
        "u1",
        "p1",
        "Red Shoes",
        "Clothing",
        "19.99",
        "view",
        "2026-01-01T10:00:00Z",
        file,
        line,
        null);
  }
}
