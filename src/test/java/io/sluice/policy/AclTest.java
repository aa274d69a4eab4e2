package io.sluice.policy;

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

/** acl: consumer groups allowed or denied, after authentication whatever the order plugins were created in. */
@ExtendWith(VertxExtension.class)
class AclTest {

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
  void allowed_groups_pass_others_get_403_and_deny_wins() {
    // acl created before key-auth: the chain still runs key-auth first (priority, not creation order).
    gw.plugin("acl", "api", new JsonObject().put("allow", new JsonArray().add("staff").add("partners"))
        .put("deny", new JsonArray().add("suspended")));
    gw.plugin("key-auth", "api", new JsonObject());
    String staff = gw.key(gw.consumer("alice", "staff"));
    String guest = gw.key(gw.consumer("bob", "guests"));
    String suspended = gw.key(gw.consumer("carol", "staff", "suspended"));
    Http.Reply ok = gw.get("/api/x", "apikey", staff, "X-Consumer-Groups", "admins");
    assertEquals(200, ok.status(), ok.text());
    assertEquals("staff", gw.last().headers().get("X-Consumer-Groups"), "the client's own value is replaced");
    Http.Reply bob = gw.get("/api/x", "apikey", guest);
    assertEquals(403, bob.status());
    assertEquals("forbidden", new JsonObject(bob.text()).getJsonObject("error").getString("code"));
    assertEquals(403, gw.get("/api/x", "apikey", suspended).status());
    assertEquals(401, gw.get("/api/x").status(), "no consumer: key-auth refuses before acl");
  }

  @Test
  void without_authentication_on_the_route_acl_answers_401() {
    gw.plugin("acl", "api", new JsonObject().put("deny", new JsonArray().add("x")));
    assertEquals(401, gw.get("/api/x").status());
  }

  @Test
  void groups_are_validated_on_consumers_and_in_the_schema() {
    Http.Reply badGroup = gw.admin(HttpMethod.POST, "/consumers", new JsonObject().put("tenant", "acme")
        .put("username", "x").put("groups", new JsonArray().add("no spaces")));
    assertEquals(400, badGroup.status());
    assertTrue(badGroup.text().contains("\"field\":\"groups[0]\""), badGroup.text());
    Http.Reply empty = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "acl")
        .put("scope", "global").put("config", new JsonObject()));
    assertEquals(400, empty.status(), "allow or deny is required");
    JsonObject c = gw.consumer("dora", "a", "b");
    assertEquals(new JsonArray().add("a").add("b"), c.getJsonArray("groups"));
  }
}
