package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/** key-auth: keys in a header or the query, looked up by digest, never sent upstream. */
@ExtendWith(VertxExtension.class)
class KeyAuthTest {

  private Gateway gw;

  /** The gateway under test; the h2c subclass sends the same requests over HTTP/2. */
  Gateway gateway(Vertx vertx) {
    return new Gateway(vertx);
  }

  @BeforeEach
  void start(Vertx vertx) {
    gw = gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  @Test
  void a_known_key_in_a_header_passes_and_never_reaches_the_upstream() {
    JsonObject alice = gw.consumer("alice");
    String key = gw.key(alice);
    gw.plugin("key-auth", "api", new JsonObject());

    Http.Reply ok = gw.get("/api/x", "apikey", key, "X-Consumer-ID", "forged");
    assertEquals(200, ok.status(), ok.text());
    var seen = gw.last();
    assertNull(seen.headers().get("apikey"), "the key is removed before the request goes upstream");
    assertEquals(alice.getString("id"), seen.headers().get("X-Consumer-ID"), "the client cannot forge it");
    assertEquals("alice", seen.headers().get("X-Consumer-Username"));
    assertEquals(200, gw.get("/open/x").status(), "other routes are not protected");
  }

  @Test
  void a_key_in_the_query_passes_and_is_removed_from_the_query() {
    String key = gw.key(gw.consumer("bob"));
    gw.plugin("key-auth", "api", new JsonObject().put("key_names", new JsonArray().add("api_key")));
    Http.Reply ok = gw.get("/api/x?a=1&api_key=" + key + "&b=2");
    assertEquals(200, ok.status(), ok.text());
    assertEquals("/api/x?a=1&b=2", gw.last().uri());
    // Every other segment goes as sent, empty ones and encodings too: only the key's own segment is taken out.
    Http.Reply odd = gw.get("/api/x?a=1&&api_key=" + key + "&b=x%20y&&c&");
    assertEquals(200, odd.status(), odd.text());
    assertEquals("/api/x?a=1&&b=x%20y&&c&", gw.last().uri());
    assertEquals(401, gw.get("/api/x", "apikey", key).status(), "only the configured names count");
  }

  @Test
  void no_key_and_an_unknown_key_answer_401() {
    gw.key(gw.consumer("carol"));
    gw.plugin("key-auth", "api", new JsonObject());
    int before = gw.backend.completed.size();
    Http.Reply none = gw.get("/api/x");
    assertEquals(401, none.status());
    assertEquals("Key realm=\"sluice\"", none.header("WWW-Authenticate"));
    assertEquals("unauthorized", new JsonObject(none.text()).getJsonObject("error").getString("code"));
    Http.Reply unknown = gw.get("/api/x", "apikey", "sk_not-a-key-of-anyone-000000000000");
    assertEquals(401, unknown.status());
    assertTrue(unknown.text().contains("invalid API key"), unknown.text());
    assertEquals(before, gw.backend.completed.size(), "nothing refused reached the upstream");
  }

  @Test
  void a_deleted_key_is_refused_at_once() {
    JsonObject dave = gw.consumer("dave");
    JsonObject created = gw.create("/consumers/" + dave.getString("id") + "/keys", new JsonObject());
    gw.plugin("key-auth", null, new JsonObject());
    assertEquals(200, gw.get("/open/x", "apikey", created.getString("key")).status(), "global scope");
    gw.admin(HttpMethod.DELETE, "/consumers/" + dave.getString("id") + "/keys/" + created.getString("id"), null);
    assertEquals(401, gw.get("/open/x", "apikey", created.getString("key")).status());
  }

  @Test
  void its_schema_refuses_bad_configurations_naming_the_field() {
    Http.Reply bad = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "key-auth")
        .put("scope", "global").put("config", new JsonObject().put("key_names", new JsonArray())
            .put("key_in_body", true)));
    assertEquals(400, bad.status(), bad.text());
    JsonArray fields = new JsonObject(bad.text()).getJsonObject("error").getJsonArray("fields");
    assertEquals("config.key_in_body", fields.getJsonObject(0).getString("field"), fields.encode());
    assertEquals("config.key_names", fields.getJsonObject(1).getString("field"), fields.encode());
    assertFalse(gw.get("/open/x").status() != 200, "nothing was stored");
  }

  @Test
  void groups_a_client_claims_never_reach_the_upstream_on_a_route_without_acl() {
    String key = gw.key(gw.consumer("erin"));
    gw.plugin("key-auth", "api", new JsonObject());
    Http.Reply r = gw.get("/api/x", "apikey", key, "X-Consumer-Groups", "admins", "X_Consumer_Username", "root");
    assertEquals(200, r.status(), r.text());
    assertNull(gw.last().headers().get("X-Consumer-Groups"), "groups claimed by the client went upstream");
    assertNull(gw.last().headers().get("X_Consumer_Username"), "an underscore spelling went upstream");
    assertEquals("erin", gw.last().headers().get("X-Consumer-Username"));
  }
}
