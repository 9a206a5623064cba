package io.shopstream.generator;

import io.shopstream.generator.Catalog.Product;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;

/**
 * Produces events from a pool of shoppers. The event type follows the 60/30/10 mix exactly in
 * expectation; the product follows the shopper's session, so carts hold viewed products and
 * purchases come from carts when there is one.
 */
final class ShopperSimulation {

  record Event(
      String eventId, String userId, Product product, String eventType, long epochMillis) {}

  private static final int RECENT_PER_SESSION = 8;

  private final Random random;
  private final Catalog catalog;
  private final List<Session> sessions = new ArrayList<>();

  private static final class Session {
    final String userId;
    final Deque<Product> viewed = new ArrayDeque<>();
    final Deque<Product> cart = new ArrayDeque<>();

    Session(String userId) {
      this.userId = userId;
    }
  }

  ShopperSimulation(Random random, Catalog catalog, int users) {
    this.random = random;
    this.catalog = catalog;
    for (int i = 1; i <= users; i++) {
      sessions.add(new Session(String.format(Locale.ROOT, "U%06d", i)));
    }
  }

  Event next(long epochMillis) {
    Session session = sessions.get(random.nextInt(sessions.size()));
    int roll = random.nextInt(100);
    String type;
    Product product;
    if (roll < 60) {
      type = "view";
      product = catalog.random(random);
      remember(session.viewed, product);
    } else if (roll < 90) {
      type = "add_to_cart";
      product = pick(session.viewed);
      remember(session.cart, product);
    } else {
      type = "purchase";
      product = session.cart.isEmpty() ? pick(session.viewed) : session.cart.pollFirst();
    }
    return new Event(uuid().toString(), session.userId, product, type, epochMillis);
  }

  private Product pick(Deque<Product> recent) {
    if (recent.isEmpty()) {
      return catalog.random(random);
    }
    int index = random.nextInt(recent.size());
    return recent.stream().skip(index).findFirst().orElseThrow();
  }

  private static void remember(Deque<Product> recent, Product product) {
    recent.addLast(product);
    if (recent.size() > RECENT_PER_SESSION) {
      recent.removeFirst();
    }
  }

  /** A version-4 UUID from the seeded random, so seeded runs are reproducible. */
  private UUID uuid() {
    long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }
}
