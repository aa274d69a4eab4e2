package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.ConfigException;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /config on a node without pg.url: it exports the routes file it serves and refuses to apply. */
@ExtendWith(VertxExtension.class)
class ConfigFileModeTest {

  private TestNode node;
  private Http http;

  @BeforeEach
  void start(Vertx vertx) {
    http = new Http(vertx);
    node = TestNode.start(TestNode.simpleRoutes("tenant: acme", 9));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void get_exports_the_served_routes_file() {
    Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.adminPort()).setURI("/config")
        .putHeader("Accept", "application/json"));
    assertEquals(200, r.status(), r.text());
    assertEquals("0", r.header("Sluice-Config-Version"));
    JsonObject doc = r.body().toJsonObject();
    assertEquals("svc", doc.getJsonArray("services").getJsonObject(0).getString("name"));
    assertEquals("acme", doc.getJsonArray("services").getJsonObject(0).getString("tenant"));
    assertEquals("all", doc.getJsonArray("routes").getJsonObject(0).getString("name"));
  }

  @Test
  void put_answers_503_store_disabled() {
    Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.adminPort()).setURI("/config")
        .setMethod(HttpMethod.PUT).putHeader("Content-Type", "application/yaml"),
        Buffer.buffer(TestNode.simpleRoutes(null, 9)));
    assertEquals(503, r.status());
    JsonObject error = r.body().toJsonObject().getJsonObject("error");
    assertEquals("store_disabled", error.getString("code"));
    assertTrue(error.getString("message").contains("pg.url"), r.text());
  }

  @Test
  void a_routes_file_with_plugins_is_refused_at_start_rather_than_not_enforced() {
    String file = TestNode.simpleRoutes(null, 9) + "plugins:\n  - {name: key-auth, scope: global}\n";
    ConfigException e = assertThrows(ConfigException.class, () -> TestNode.start(file));
    assertTrue(e.errors().get(0).field().endsWith(": plugins"), e.getMessage());
    String withConsumers = TestNode.simpleRoutes(null, 9) + "consumers:\n  - {username: alice}\n";
    e = assertThrows(ConfigException.class, () -> TestNode.start(withConsumers));
    assertTrue(e.errors().get(0).field().endsWith(": consumers"), e.getMessage());
  }

  @Test
  void a_routes_file_naming_a_service_route_or_tenant_like_an_id_is_refused_at_start() {
    String id = "0b8a2f7e-3c1d-4e5f-9a6b-7c8d9e0f1a2b";
    String file = """
        format_version: 1
        services:
          - {name: %s, tenant: %s, targets: [{address: "127.0.0.1:9"}]}
        routes:
          - {name: %s, service: %s, paths: ["/"]}
        """.formatted(id, id.toUpperCase(), id, id);
    ConfigException e = assertThrows(ConfigException.class, () -> TestNode.start(file));
    java.util.Map<String, String> byField = new java.util.HashMap<>();
    e.errors().forEach(f -> byField.put(f.field(), f.reason()));
    assertEquals(java.util.Set.of("services[0].name", "routes[0].name", "services[0].tenant"), byField.keySet(),
        e.getMessage());
    assertEquals(io.sluice.config.IdFormNames.reason("service"), byField.get("services[0].name"),
        "the message the admin API and PUT /config give");
    assertEquals(io.sluice.config.IdFormNames.reason("tenant"), byField.get("services[0].tenant"));
  }
}
