package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A username or custom_id with white space at either end: an upstream reads X-Consumer-Username without it, so
 * {@code " alice "} would arrive as {@code alice}, another consumer. Refused on write (admin API and file, 400 naming
 * the field); a row written with psql is refused on use (500 consumer_invalid) and by the export (409).
 */
@ExtendWith(VertxExtension.class)
class ConsumerNameSpacesTest {

  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  private static void refusedField(Http.Reply r, String field) {
    assertEquals(400, r.status(), r.text());
    JsonArray fields = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
    assertTrue(fields.stream().map(JsonObject.class::cast).anyMatch(f -> f.getString("field").equals(field)
        && f.getString("reason").contains("white space")), r.text());
  }

  @Test
  void white_space_at_either_end_of_a_username_or_custom_id_is_refused_on_write() {
    refusedField(gw.admin(HttpMethod.POST, "/consumers", new JsonObject().put("tenant", "acme")
        .put("username", " alice ")), "username");
    refusedField(gw.admin(HttpMethod.POST, "/consumers", new JsonObject().put("tenant", "acme")
        .put("username", "alice").put("custom_id", "c-1 ")), "custom_id");
    JsonObject alice = gw.consumer("alice");
    refusedField(gw.admin(HttpMethod.PATCH, "/consumers/" + alice.getString("id"),
        new JsonObject().put("custom_id", "\u3000c-1"), "If-Match", "1"), "custom_id");
    refusedField(gw.admin(HttpMethod.PUT, "/config?dry_run=true", new JsonObject().put("format_version", 1)
        .put("consumers", new JsonArray().add(new JsonObject().put("tenant", "acme").put("username", "bob ")))),
        "consumers[0].username");
    assertEquals(201, gw.admin(HttpMethod.POST, "/consumers", new JsonObject().put("tenant", "acme")
        .put("username", "al ice")).status(), "a space inside is a name like any other");
  }

  @Test
  void a_row_written_with_psql_with_such_a_name_is_refused_on_use_and_by_the_export() {
    gw.plugin("key-auth", "api", new JsonObject());
    gw.consumer("alice");
    String key = gw.key(gw.consumer("mallory"));
    assertEquals(200, gw.get("/api/x", "apikey", key).status());
    int received = gw.backend.completed.size();
    gw.db.transaction("update consumers set username = ' alice ' where username = 'mallory'");
    gw.awaitApplied(gw.db.configVersion());

    Http.Reply r = gw.get("/api/x", "apikey", key);
    assertEquals(500, r.status(), r.text());
    assertEquals("consumer_invalid", new JsonObject(r.text()).getJsonObject("error").getString("code"));
    assertEquals(received, gw.backend.completed.size(), "never sent upstream as X-Consumer-Username: alice");

    Http.Reply export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(409, export.status(), export.text());
    JsonObject field = new JsonObject(export.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("stored_config_invalid", new JsonObject(export.text()).getJsonObject("error").getString("code"));
    assertEquals("consumers[0].username", field.getString("field"), export.text());
    assertEquals("acme/ alice ", field.getString("name"));

    gw.db.transaction("update consumers set username = 'mallory', custom_id = 'm' || chr(12288)"
        + " where username = ' alice '");
    gw.awaitApplied(gw.db.configVersion());
    assertEquals(500, gw.get("/api/x", "apikey", key).status(), "an ideographic space at the end too");
    export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(409, export.status(), "PostgreSQL finds the white space Java strips: " + export.text());
    assertTrue(export.text().contains("consumers[1].custom_id"), export.text());
  }
}
