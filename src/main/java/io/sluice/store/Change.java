package io.sluice.store;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One change-log entry: the row {@code id} of table {@code entity} (tenants, services, routes, consumers,
 * credentials, plugins) was inserted, updated or deleted by the transaction that committed {@code version}.
 * One transaction's changes share its version; a row changed twice in it has one entry.
 */
public record Change(long version, String entity, UUID id, Op op, OffsetDateTime at) {

  /** What the transaction did to the row overall. */
  public enum Op {
    INSERT, UPDATE, DELETE;

    static Op of(String sql) {
      return valueOf(sql.toUpperCase(java.util.Locale.ROOT));
    }
  }
}
