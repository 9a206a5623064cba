package io.shopstream.pipeline.core.ingest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import org.junit.jupiter.api.Test;

/** Which database failures are a row's data, and which are worth trying again. */
class RetriesTest {

  @Test
  void classifiesDatabaseFailures() {
    assertTrue(Retries.isRowRejection(new SQLException("out of range", "22008")));
    assertTrue(Retries.isRowRejection(new SQLException("check", "23514")));
    assertFalse(Retries.isRowRejection(new SQLException("refused", "08001")));
    assertFalse(Retries.isRowRejection(new SQLException("no table", "42P01")));

    assertTrue(Retries.isTransient(new SQLException("refused", "08001")));
    assertTrue(Retries.isTransient(new SQLException("lost", "08006")));
    assertTrue(Retries.isTransient(new SQLException("serialization", "40001")));
    assertTrue(Retries.isTransient(new SQLException("deadlock", "40P01")));
    assertTrue(Retries.isTransient(new SQLException("shutdown", "57P01")));
    assertTrue(Retries.isTransient(new SQLException("starting up", "57P03")));
    assertTrue(Retries.isTransient(new SQLRecoverableException("io")));
    assertTrue(Retries.isTransient(new SQLException("pool timeout")));
    assertFalse(Retries.isTransient(new SQLException("no table", "42P01")));
    assertFalse(Retries.isTransient(new SQLException("out of range", "22008")));
  }
}
