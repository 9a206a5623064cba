package io.shopstream.generator;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import net.datafaker.Faker;

/**
 * A fixed, seedable product catalogue over five categories. A product id always maps to the same
 * name, category and price, and each category has its own plausible price band.
 */
final class Catalog {

  record Product(String id, String name, String category, BigDecimal price) {}

  private record Category(
      String name, double minPrice, double maxPrice, Function<Faker, String> namer) {}

  private static final List<Category> CATEGORIES =
      List.of(
          new Category(
              "Electronics",
              15,
              2500,
              f ->
                  f.options().option("Wireless", "Smart", "Portable", "4K", "Noise-Cancelling")
                      + " "
                      + f.options()
                          .option(
                              "Headphones",
                              "Speaker",
                              "Monitor",
                              "Laptop",
                              "Camera",
                              "Phone",
                              "Tablet",
                              "Smartwatch")
                      + " "
                      + f.bothify("??-###").toUpperCase(Locale.ROOT)),
          new Category(
              "Clothing",
              5,
              300,
              f ->
                  f.color().name()
                      + " "
                      + f.commerce().material()
                      + " "
                      + f.options()
                          .option("T-Shirt", "Jacket", "Jeans", "Dress", "Sneakers", "Hoodie")),
          new Category(
              "Home & Kitchen",
              8,
              800,
              f ->
                  f.options().option("Cast Iron", "Ceramic", "Bamboo", "Stainless Steel", "Glass")
                      + " "
                      + f.options()
                          .option(
                              "Skillet",
                              "Mug",
                              "Cutting Board",
                              "Kettle",
                              "Storage Jar",
                              "Salad Bowl")),
          new Category("Books", 4, 80, f -> f.book().title()),
          new Category(
              "Sports",
              10,
              1200,
              f ->
                  f.options().option("Pro", "Trail", "Ultra", "Team", "Classic")
                      + " "
                      + f.options()
                          .option(
                              "Yoga Mat",
                              "Tennis Racket",
                              "Running Shoes",
                              "Football",
                              "Bicycle Helmet",
                              "Dumbbell Set")));

  private final List<Product> products;

  Catalog(Random random, int productsPerCategory) {
    Faker faker = new Faker(Locale.ENGLISH, random);
    List<Product> all = new ArrayList<>();
    for (Category category : CATEGORIES) {
      for (int i = 0; i < productsPerCategory; i++) {
        double price =
            category.minPrice() + random.nextDouble() * (category.maxPrice() - category.minPrice());
        all.add(
            new Product(
                String.format(Locale.ROOT, "P%05d", all.size() + 1),
                category.namer().apply(faker),
                category.name(),
                BigDecimal.valueOf(price).setScale(2, RoundingMode.HALF_UP)));
      }
    }
    products = List.copyOf(all);
  }

  List<Product> products() {
    return products;
  }

  Product random(Random random) {
    return products.get(random.nextInt(products.size()));
  }
}
