package io.sluice.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;

/**
 * Writes take the entity as a JSON document bound as text ($1) and cast: a String bound to a jsonb
 * parameter would be encoded as a JSON string. Records built in code leave nulls out, so a key left out
 * takes the column's (or the schema's) default.
 */
final class Docs {

  /** The document of a write, as {@code d}. */
  static final String ONE = " from (select $1::text::jsonb d) i";

  /**
   * The end of an UPDATE's WHERE that leaves the row alone when the write would change none of {@code columns}
   * (to {@code values}, read from {@link #ONE}): a PUT of the entity as it is, or a key sent again, makes no version,
   * no change-log entry and no history (as a PATCH that changes nothing never did).
   */
  static String changesSomething(String columns, String values) {
    return " and row(" + columns + ") is distinct from (select row(" + values + ")" + ONE + ")";
  }

  private static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private Docs() {}

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
