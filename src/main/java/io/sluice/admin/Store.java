package io.sluice.admin;

import io.sluice.store.SqlStates;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/**
 * The admin API's transactions. Each write is one READ COMMITTED transaction (PostgreSQL's default)
 * that ends by reading config_version: the first configuration change of the transaction took the
 * counter's row lock, so the value read is the version this transaction commits as.
 */
final class Store {

  /** Attempts of a transaction PostgreSQL aborted as a serialization failure or deadlock. */
  private static final int ATTEMPTS = 3;
  private static final String VERSION = "select version from config_version where id = 1";

  /** A write's answer and the configuration version it committed. */
  record Written<T>(T value, long version) {}

  private Store() {}

  static <T> Future<Written<T>> write(Pool pool, Function<SqlConnection, Future<T>> work) {
    return attempt(pool, work, 1);
  }

  private static <T> Future<Written<T>> attempt(Pool pool, Function<SqlConnection, Future<T>> work, int n) {
    Future<Written<T>> tx = pool.withTransaction(conn -> work.apply(conn).compose(value ->
        conn.query(VERSION).execute().map(rows -> new Written<>(value, rows.iterator().next().getLong(0)))));
    return tx.recover(err -> {
      boolean retryable = SqlStates.is(err, SqlStates.SERIALIZATION_FAILURE)
          || SqlStates.is(err, SqlStates.DEADLOCK_DETECTED);
      return retryable && n < ATTEMPTS ? attempt(pool, work, n + 1) : Future.failedFuture(err);
    });
  }
}
