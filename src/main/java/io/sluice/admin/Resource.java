package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.config.FieldError;
import io.sluice.config.Schemas;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One entity of the admin API as {@link CrudHandler} serves it: its path, its JSON Schema, how PostgreSQL
 * renders a row as the entity's JSON (select), and how the validated JSON is written (insert and update
 * take the document as $1, the resolved references as $2.., and update the id last).
 *
 * @param select      {@code select <json text> from <table> x ...}; the handler appends where/order/limit
 * @param tenantFilter condition on the joined tenant {@code t} with {@code $1} the tenant name or id, or null
 * @param refs        names in the document resolved to ids inside the write transaction, in parameter order
 * @param check       rules the schema cannot say, on the document with defaults filled in (or null)
 */
record Resource(String path, String noun, String table, String schema, JsonNode defaults, String select,
                String tenantFilter, List<Ref> refs, String insert, String update,
                Function<JsonNode, List<FieldError>> check) {

  /** A reference by name (or id): the document's field, what it names, and the lookup taking $1 as text. */
  record Ref(String field, String what, String lookup) {}

  /** Schema errors; when the shape is right, defaults are filled in and the extra rules run. */
  List<FieldError> validate(JsonNode doc) {
    List<FieldError> errors = new ArrayList<>(Schemas.validate(schema, doc));
    if (errors.isEmpty()) {
      Schemas.applyDefaults(doc, defaults);
      if (check != null) {
        errors.addAll(check.apply(doc));
      }
    }
    return errors;
  }
}
