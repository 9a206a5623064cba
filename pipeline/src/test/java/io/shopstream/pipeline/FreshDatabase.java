package io.shopstream.pipeline;

import io.shopstream.pipeline.core.store.JdbcConfig;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A new database with the schema for every test ({@link TestDatabase}), dropped after it. */
public final class FreshDatabase implements BeforeEachCallback, AfterEachCallback {

  private JdbcConfig config;

  public JdbcConfig config() {
    return config;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    config = TestDatabase.create();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    TestDatabase.drop(config);
  }
}
