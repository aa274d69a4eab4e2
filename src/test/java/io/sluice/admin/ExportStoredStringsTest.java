package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Strings written with psql that a declarative file refuses (control characters in a tenant's name, a consumer's
 * username, a route's header value): the export answers 409 {@code stored_config_invalid} naming each row and
 * field, the consumers found by PostgreSQL before the answer starts, rather than a 200 file PUT /config refuses.
 */
@ExtendWith(VertxExtension.class)
class ExportStoredStringsTest {

  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: echo
            targets: [{address: "127.0.0.1:9"}]
        routes:
          - {name: first, service: echo, paths: ["/first"], headers: {X-Env: [prod]}}
        """);
    api.create("/tenants", new JsonObject().put("name", "acme"));
    api.create("/services", new JsonObject().put("name", "acme-svc").put("tenant", "acme")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9"))));
    api.create("/consumers", new JsonObject().put("tenant", "default").put("username", "alice"));
    api.create("/consumers", new JsonObject().put("tenant", "default").put("username", "bob"));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private Map<String, JsonObject> refusedFields(Http.Reply r) {
    assertEquals(409, r.status(), r.text());
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals("stored_config_invalid", error.getString("code"), r.text());
    return error.getJsonArray("fields").stream().map(JsonObject.class::cast)
        .collect(Collectors.toMap(f -> f.getString("field"), f -> f));
  }

  @Test
  void an_export_refuses_control_characters_written_with_psql_naming_each_row() {
    api.db.transaction("update tenants set name = 'ac' || chr(27) || 'me' where name = 'acme'",
        "update consumers set username = 'bob' || chr(133) where username = 'bob'",
        "update routes set headers = '{\"X-Env\": [\"pr\\u0001od\"]}' where name = 'first'");
    for (String accept : new String[] {"application/json", "application/yaml"}) {
      Map<String, JsonObject> fields = refusedFields(api.call(io.vertx.core.http.HttpMethod.GET, "/config", null,
          Map.of("Accept", accept)));
      assertEquals(3, fields.size(), fields.toString());
      JsonObject tenant = fields.get("services[1].tenant");
      assertEquals("service", tenant.getString("entity"), fields.toString());
      assertEquals("acme-svc", tenant.getString("name"));
      assertTrue(tenant.getString("reason").contains("control characters (0x1b)"), tenant.encode());
      JsonObject header = fields.get("routes[0].headers.X-Env[0]");
      assertEquals("first", header.getString("name"), fields.toString());
      JsonObject consumer = fields.get("consumers[1].username");
      assertEquals("consumer", consumer.getString("entity"), fields.toString());
      assertTrue(consumer.getString("reason").contains("0x85"), consumer.encode());
    }

    api.db.transaction("update tenants set name = 'acme' where name like 'ac%'",
        "update consumers set username = 'bob' where username like 'bob%'",
        "update routes set headers = '{\"X-Env\": [\"prod\"]}' where name = 'first'");
    Http.Reply fixed = api.get("/config");
    assertEquals(200, fixed.status(), fixed.text());
  }

  @Test
  void a_consumer_group_with_a_control_character_is_named_and_a_past_version_is_checked_as_it_was() {
    String carol = api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "carol")
        .put("groups", new JsonArray().add("gold"))).getString("id");
    assertEquals(201, api.post("/consumers/" + carol + "/keys", new JsonObject()).status());
    assertEquals(201, api.post("/consumers/" + carol + "/keys", new JsonObject()).status());
    long clean = api.db.configVersion();
    api.db.transaction("update consumers set groups = array['go' || chr(127) || 'ld'] where username = 'carol'");
    Map<String, JsonObject> fields = refusedFields(api.get("/config"));
    assertEquals("acme/carol", fields.get("consumers[0].groups[0]").getString("name"), fields.toString());
    assertEquals(1, fields.size(), fields.toString());
    api.db.transaction("update consumers set groups = '{gold}' where username = 'carol'",
        "update credentials set key_prefix = 'pre' || chr(2) where key_digest = (select key_digest"
            + " from credentials order by key_digest limit 1)");
    fields = refusedFields(api.get("/config"));
    assertEquals(java.util.Set.of("consumers[0].keys[0].prefix"), fields.keySet(), "the keys in the file's order");
    assertEquals(200, api.get("/config?version=" + clean).status(), "the past held no such row");
  }
}
