package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.config.PolicySchemas;
import io.sluice.config.Schemas;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One entity of the admin API as {@link CrudHandler} serves it: its path, its type (how the store reads and
 * writes it), its JSON Schema and the references its document names.
 *
 * @param refs  names in the document resolved to ids inside the write transaction, in the order of the
 *              entity's write
 * @param check rules the schema cannot say, on the document with defaults filled in (or null)
 */
record Resource(String path, EntityType type, String schema, JsonNode defaults, List<Ref> refs,
                Function<JsonNode, List<FieldError>> check) {

  /** A reference by name (or id): the document's field and the type of entity it names. */
  record Ref(String field, EntityType type) {

    String what() {
      return type.noun();
    }
  }

  String noun() {
    return type.noun();
  }

  /**
   * A copy of {@code doc} with the schema's defaults filled in (and a plugin's policy defaults in its
   * {@code config}), as a write would store it: what decides whether a PATCH changes anything.
   */
  JsonNode withDefaults(JsonNode doc) {
    JsonNode copy = doc.deepCopy();
    Schemas.applyDefaults(copy, defaults);
    if (type == EntityType.PLUGIN && copy.path("name").isTextual()) {
      PolicySchemas.applyDefaults(copy.path("name").asText(), copy.get("config"));
    }
    return copy;
  }

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
