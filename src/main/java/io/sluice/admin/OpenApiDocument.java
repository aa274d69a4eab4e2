package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.sluice.config.Schemas;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The admin API's OpenAPI document as served: {@code openapi.yaml} with the entities' schemas filled in from the
 * JSON Schemas the API validates their bodies with ({@code schema/entity-*.json}), so that the document cannot
 * describe a body other than the one the API takes, and a client generated from it gets typed entities.
 *
 * <p>In {@code openapi.yaml} an entity X has three schemas: X, a body as written (POST, PUT), marked
 * {@code x-sluice-entity} with the schema's file and replaced by it; XAnswer, the entity as answered, marked
 * {@code x-sluice-answer-of: X}: X's fields less those never answered ({@code x-sluice-write-only}, such as a
 * certificate's private key), plus {@code id}, {@code version} and {@code updated_at}, which every answer carries,
 * and any properties of its own; XPage, a list's page of XAnswer, written out.
 */
final class OpenApiDocument {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));
  private static final String ENTITY = "x-sluice-entity";
  private static final String ANSWER_OF = "x-sluice-answer-of";
  private static final String WRITE_ONLY = "x-sluice-write-only";

  private OpenApiDocument() {}

  /** The document as served, YAML. */
  static Buffer load() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is missing from the jar");
      }
      ObjectNode doc = (ObjectNode) YAML.readTree(in);
      fill((ObjectNode) doc.path("components").path("schemas"));
      OpenApiOperations.complete(doc);
      return Buffer.buffer(YAML.writeValueAsBytes(doc));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void fill(ObjectNode schemas) {
    Iterator<Map.Entry<String, JsonNode>> it = schemas.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().has(ENTITY)) {
        e.setValue(entity(e.getValue().get(ENTITY).asText()));
      }
    }
    it = schemas.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().has(ANSWER_OF)) {
        ObjectNode stub = (ObjectNode) e.getValue();
        JsonNode of = schemas.get(stub.get(ANSWER_OF).asText());
        if (!(of instanceof ObjectNode written) || written.has(ENTITY)) {
          throw new IllegalStateException(e.getKey() + ": no entity schema " + stub.get(ANSWER_OF));
        }
        e.setValue(answer(written, stub));
      }
    }
  }

  /** An entity's schema file, its {@code $ref} to the declarative file's entity (services, routes) resolved. */
  private static ObjectNode entity(String file) {
    ObjectNode schema = Schemas.raw(file).deepCopy();
    JsonNode ref = schema.remove("$ref");
    if (ref != null) {
      String[] at = ref.asText().split("#", 2);
      JsonNode target = Schemas.raw(at[0].replace(".json", "")).at(at[1]);
      if (!(target instanceof ObjectNode resolved)) {
        throw new IllegalStateException(file + ": $ref " + ref + " resolves to nothing");
      }
      schema.setAll(resolved.deepCopy());
    }
    schema.remove("$schema");
    return schema;
  }

  /** XAnswer from X ({@code written}) and its stub; marks X's write-only fields {@code writeOnly} on the way. */
  private static ObjectNode answer(ObjectNode written, ObjectNode stub) {
    ObjectNode answer = written.deepCopy();
    ObjectNode properties = answer.with("properties");
    Set<String> writeOnly = new HashSet<>();
    stub.path(WRITE_ONLY).forEach(n -> writeOnly.add(n.asText()));
    for (String name : writeOnly) {
      if (properties.remove(name) == null) {
        throw new IllegalStateException(stub.get(ANSWER_OF) + " has no field " + name);
      }
      ((ObjectNode) written.get("properties").get(name)).put("writeOnly", true);
    }
    properties.set("id", YAML.createObjectNode().put("type", "string").put("format", "uuid").put("readOnly", true));
    properties.set("version", YAML.createObjectNode().put("type", "integer").put("minimum", 1).put("readOnly", true)
        .put("description", "The entity's version: If-Match of its next PUT, PATCH or DELETE (also its ETag)"));
    properties.set("updated_at", YAML.createObjectNode().put("type", "string").put("format", "date-time")
        .put("readOnly", true));
    if (stub.get("properties") instanceof ObjectNode own) {
      properties.setAll(own);
    }
    ArrayNode required = YAML.createArrayNode();
    answer.path("required").forEach(n -> {
      if (!writeOnly.contains(n.asText())) {
        required.add(n);
      }
    });
    required.add("id").add("version").add("updated_at");
    stub.path("required").forEach(required::add);
    answer.set("required", required);
    answer.remove("title");
    answer.put("description", stub.path("description").asText());
    return answer;
  }
}
