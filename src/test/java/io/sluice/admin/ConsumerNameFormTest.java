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
 * A username or custom_id has one form of what it shows: Unicode NFC, no white space or space separator at either
 * end (U+00A0 included), no invisible character (format, line or paragraph separator) anywhere. Refused on write
 * (admin API and file, 400 naming the field); a row written with psql is refused on use (500 consumer_invalid) and
 * by the export (409). Case and full-width letters make names of their own, as in Kong.
 */
@ExtendWith(VertxExtension.class)
class ConsumerNameFormTest {

  private static final String NFD = "Jose\u0301";
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  private static void refused(Http.Reply r, String field, String reason) {
    assertEquals(400, r.status(), r.text());
    JsonArray fields = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
    assertTrue(fields.stream().map(JsonObject.class::cast).anyMatch(f -> f.getString("field").equals(field)
        && f.getString("reason").contains(reason)), r.text());
  }

  private Http.Reply create(String username, String customId) {
    JsonObject body = new JsonObject().put("tenant", "acme").put("username", username);
    return gw.admin(HttpMethod.POST, "/consumers", customId == null ? body : body.put("custom_id", customId));
  }

  @Test
  void a_name_in_another_form_than_its_one_is_refused_on_write() {
    refused(create(NFD, null), "username", "NFC");
    refused(create("alice\u00a0", null), "username", "white space");
    refused(create("alice", "\u202fc-1"), "custom_id", "white space");
    refused(create("al\u200bice", null), "username", "U+200B");
    refused(create("alice", "c\u2028-1"), "custom_id", "U+2028");
    refused(gw.admin(HttpMethod.PUT, "/config?dry_run=true", new JsonObject().put("format_version", 1)
        .put("consumers", new JsonArray().add(new JsonObject().put("tenant", "acme").put("username", NFD)))),
        "consumers[0].username", "NFC");
    assertEquals(201, create("Jos\u00e9", null).status(), "NFC");
    assertEquals(201, create("alice", null).status());
    assertEquals(201, create("Alice", null).status(), "case makes another name, as in Kong");
    assertEquals(201, create("\uff41\uff4c\uff49\uff43\uff45", null).status(), "so do full-width letters");
  }

  @Test
  void a_row_written_with_psql_in_another_form_is_refused_on_use_and_by_the_export() {
    gw.plugin("key-auth", "api", new JsonObject());
    String key = gw.key(gw.consumer("mallory"));
    assertEquals(200, gw.get("/api/x", "apikey", key).status());
    int received = gw.backend.completed.size();
    gw.db.transaction("update consumers set username = 'Jose' || chr(769) where username = 'mallory'");
    gw.awaitApplied(gw.db.configVersion());

    Http.Reply r = gw.get("/api/x", "apikey", key);
    assertEquals(500, r.status(), r.text());
    assertEquals("consumer_invalid", new JsonObject(r.text()).getJsonObject("error").getString("code"));
    assertEquals(received, gw.backend.completed.size());
    Http.Reply export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(409, export.status(), export.text());
    JsonObject field = new JsonObject(export.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("consumers[0].username", field.getString("field"), export.text());
    assertTrue(field.getString("reason").contains("NFC"), export.text());

    for (String customId : new String[] {"'m' || chr(160)", "'m' || chr(8203) || 'x'", "chr(65279) || 'm'"}) {
      gw.db.transaction("update consumers set username = 'mallory', custom_id = " + customId);
      gw.awaitApplied(gw.db.configVersion());
      assertEquals(500, gw.get("/api/x", "apikey", key).status(), customId);
      export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
      assertEquals(409, export.status(), customId + ": " + export.text());
      assertTrue(export.text().contains("consumers[0].custom_id"), export.text());
    }
    gw.db.transaction("update consumers set custom_id = 'm'");
    gw.awaitApplied(gw.db.configVersion());
    assertEquals(200, gw.get("/api/x", "apikey", key).status());
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").status());
  }
}
