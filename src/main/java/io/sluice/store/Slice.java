package io.sluice.store;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * One page of a list in creation order, read by keyset rather than by offset: a page starts after the
 * {@link Key} of the previous page's last row. created_at never changes once a row is written (V1's
 * {@code sluice_stamp_row} keeps it; tokens are never updated) and ids are unique, so (created_at, id) is a
 * fixed total order: rows inserted or deleted while a reader pages never shift a row it has not reached yet
 * across the boundary, and a row that exists throughout is listed exactly once.
 *
 * @param data the page's rows, in order
 * @param next where the next page starts (the last row's key), or null when this page is the last
 */
public record Slice(List<JsonObject> data, Key next) {

  /** A position in the order: the created_at and id of a row. */
  public record Key(OffsetDateTime createdAt, UUID id) {}

  /**
   * The SQL condition "after {@code $n}, {@code $(n+1)}" on rows of alias {@code x}; the caller binds
   * {@link Key#createdAt} and {@link Key#id} there. A row comparison, so an index on (created_at, id) serves it.
   */
  static String after(int n) {
    return "(x.created_at, x.id) > ($" + n + "::timestamptz, $" + (n + 1) + "::uuid)";
  }

  /** The order every list is read in (rows of alias {@code x}). */
  static final String ORDER = " order by x.created_at, x.id";

  /**
   * The page from up to {@code limit + 1} rows read in order: the one more than asked only tells that a
   * next page exists.
   */
  static Slice of(Iterable<Row> rows, int limit, Function<Row, JsonObject> json, Function<Row, Key> key) {
    List<JsonObject> data = new ArrayList<>();
    Key last = null;
    for (Row r : rows) {
      if (data.size() == limit) {
        return new Slice(data, last);
      }
      data.add(json.apply(r));
      last = key.apply(r);
    }
    return new Slice(data, null);
  }
}
