package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the admin API answers is what its OpenAPI document says, as a generated client would read it: every
 * entity written through the API, then read, listed, replaced and patched, and each answer validated against the
 * served document's schema of that operation and status (formats asserted: ids are UUIDs, times date-times). The
 * request bodies sent are validated against the document's request schemas too, so that a body the document
 * describes is one the API takes. A field answered but not in the document, or documented with another type,
 * fails here.
 */
@ExtendWith(VertxExtension.class)
class OpenApiAnswersTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private AdminApi api;
  private JsonNode doc;
  private final List<String> problems = new ArrayList<>();
  private int checked;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: svc
            targets: [{address: "127.0.0.1:1"}]
        routes:
          - {name: r, service: svc, paths: [/r]}
        """);
    Http.Reply served = api.get("/openapi.yaml");
    assertEquals(200, served.status());
    doc = YAML.readTree(served.text());
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void every_entity_answer_matches_the_served_document() {
    JsonObject tenant = write("/tenants", "/tenants/{id}", new JsonObject().put("name", "acme")
        .put("hosts", List.of("acme.example")));
    write("/services", "/services/{id}", new JsonObject().put("name", "orders").put("tenant", "acme")
        .put("targets", List.of(Map.of("address", "https://127.0.0.1:8443", "weight", 50)))
        .put("health_check", Map.of("path", "/healthz")));
    write("/routes", "/routes/{id}", new JsonObject().put("name", "orders").put("service", "orders")
        .put("hosts", List.of("api.acme.example")).put("paths", List.of("/orders")).put("methods", List.of("GET")));
    JsonObject consumer = write("/consumers", "/consumers/{id}", new JsonObject().put("username", "bob")
        .put("tenant", "acme").put("groups", List.of("staff")));
    write("/plugins", "/plugins/{id}", new JsonObject().put("name", "rate-limiting").put("scope", "route")
        .put("route", "orders").put("config", Map.of("minute", 10, "policy", "local")));
    TestCa.Issued issued = new TestCa("OpenAPI test CA").issue("api.acme.example", Duration.ofDays(30),
        "api.acme.example");
    JsonObject cert = write("/certificates", "/certificates/{id}", new JsonObject().put("cert", issued.certPem())
        .put("key", issued.keyPem()).put("tenant", "acme"));
    write("/snis", "/snis/{id}", new JsonObject().put("name", "api.acme.example")
        .put("certificate", cert.getString("id")));
    String jwts = "/consumers/" + consumer.getString("id") + "/jwt";
    JsonObject jwt = new JsonObject().put("issuer", "https://issuer.example").put("algorithm", "HS256")
        .put("secret", "a-secret-of-32-bytes-or-more-0123456789");
    checkBody(HttpMethod.POST, "/consumers/{id}/jwt", jwt);
    Http.Reply made = api.post(jwts, jwt);
    check("/consumers/{id}/jwt", "post", made);
    check("/consumers/{id}/jwt/{credId}", "get", api.get(jwts + "/" + new JsonObject(made.text()).getString("id")));
    check("/consumers/{id}/jwt", "get", api.get(jwts));

    String keys = "/consumers/" + consumer.getString("id") + "/keys";
    checkBody(HttpMethod.POST, "/consumers/{id}/keys", new JsonObject());
    Http.Reply key = api.post(keys, new JsonObject());
    check("/consumers/{id}/keys", "post", key);
    check("/consumers/{id}/keys/{keyId}", "get", api.get(keys + "/" + new JsonObject(key.text()).getString("id")));
    check("/consumers/{id}/keys", "get", api.get(keys));

    assertFalse(new JsonObject(api.get("/certificates/" + cert.getString("id")).text()).containsKey("key"),
        "a private key is never answered");
    assertEquals("acme", tenant.getString("name"));
    assertEquals(7 * 7 + 4 + 4, checked, "answers and bodies checked");
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void the_check_refuses_an_answer_the_document_does_not_describe() {
    JsonNode tenant = doc.path("paths").path("/tenants/{id}").path("get").path("responses").path("200")
        .path("content").path("application/json").path("schema");
    String id = "\"id\": \"0b4c8f9e-7d1a-4a2b-9c3d-5e6f7a8b9c0d\"";
    String rest = "\"name\": \"acme\", \"hosts\": [], \"version\": 1, \"updated_at\": \"2026-12-07T16:26:59.968+00:00\"";
    validate("as answered", tenant, "{" + id + ", " + rest + "}");
    assertEquals(List.of(), problems);
    validate("an id that is no UUID", tenant, "{\"id\": \"7\", " + rest + "}");
    validate("a field not in the document", tenant, "{" + id + ", " + rest + ", \"color\": \"red\"}");
    validate("a version that is a string", tenant, "{" + id + ", " + rest.replace("1,", "\"1\",") + "}");
    validate("no version", tenant, "{" + id + ", " + rest.replace("\"version\": 1, ", "") + "}");
    // A listed key never carries the key itself (only its creation's answer does).
    JsonNode listedKey = doc.path("paths").path("/consumers/{id}/keys/{keyId}").path("get").path("responses")
        .path("200").path("content").path("application/json").path("schema");
    String key = "{" + id + ", \"kind\": \"api-key\", \"prefix\": \"sk_abcdefgh\", \"consumer\": "
        + "\"0b4c8f9e-7d1a-4a2b-9c3d-5e6f7a8b9c0d\", \"version\": 1, \"updated_at\": \"2026-12-07T16:26:59Z\"";
    validate("a key as listed", listedKey, key + "}");
    assertEquals(4, problems.size(), String.join("\n", problems));
    validate("a key listed with the key", listedKey, key + ", \"key\": \"sk_abcdefghsecret\"}");
    assertEquals(5, problems.size(), String.join("\n", problems));
  }

  /**
   * Creates an entity and checks each answer of its life: the 201, a read by id, the page of its list, a PUT of the
   * body sent again and a PATCH that changes nothing (both 200); the request bodies against the document's too.
   */
  private JsonObject write(String collection, String item, JsonObject body) {
    checkBody(HttpMethod.POST, collection, body);
    Http.Reply created = api.post(collection, body);
    assertEquals(201, created.status(), collection + ": " + created.text());
    check(collection, "post", created);
    JsonObject entity = new JsonObject(created.text());
    String uri = collection + "/" + entity.getString("id");
    check(item, "get", api.get(uri));
    check(collection, "get", api.get(collection + "?limit=5"));
    checkBody(HttpMethod.PUT, item, body);
    Http.Reply replaced = api.put(uri, body, entity.getLong("version"));
    assertEquals(200, replaced.status(), uri + ": " + replaced.text());
    check(item, "put", replaced);
    JsonObject current = new JsonObject(replaced.text());
    Http.Reply patched = api.patch(uri, new JsonObject(), current.getLong("version"));
    assertEquals(200, patched.status(), uri + ": " + patched.text());
    check(item, "patch", patched);
    return current;
  }

  /** An answer against the document's schema of its operation and status. */
  private void check(String path, String method, Http.Reply reply) {
    String status = String.valueOf(reply.status());
    JsonNode schema = doc.path("paths").path(path).path(method).path("responses").path(status).path("content")
        .path("application/json").path("schema");
    if (schema.isMissingNode()) {
      problems.add(method.toUpperCase() + " " + path + " " + status + ": no such answer in the document");
      return;
    }
    validate(method.toUpperCase() + " " + path + " " + status, schema, reply.text());
  }

  /** A request body against the document's request schema of the operation. */
  private void checkBody(HttpMethod method, String path, JsonObject body) {
    JsonNode schema = doc.path("paths").path(path).path(method.name().toLowerCase()).path("requestBody")
        .path("content").path("application/json").path("schema");
    if (schema.isMissingNode()) {
      problems.add(method + " " + path + ": no request body in the document");
      return;
    }
    validate(method + " " + path + " (request body)", schema, body.encode());
  }

  private void validate(String what, JsonNode schema, String json) {
    try {
      // The schema as the root of a document holding the components it refers to ("#/components/schemas/...").
      ObjectNode root = JSON.createObjectNode();
      root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
      root.setAll((ObjectNode) schema);
      root.set("components", doc.get("components"));
      SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
      Set<ValidationMessage> errors = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
          .getSchema(root, config).validate(JSON.readTree(json));
      checked++;
      if (!errors.isEmpty()) {
        problems.add(what + ": " + errors + "\n  " + json);
      }
    } catch (Exception e) {
      problems.add(what + ": " + e);
    }
  }
}
