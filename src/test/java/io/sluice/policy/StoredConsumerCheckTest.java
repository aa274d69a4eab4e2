package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A consumer written with psql in a form the admin API refuses (a C1 byte in custom_id, a comma inside a group
 * name, a CR LF in a username) never identifies a request: its fields would go upstream in X-Consumer-* headers.
 * The request is answered 500 consumer_invalid naming nothing of the consumer, the log names it, a counter counts
 * it and /health/ready lists it; once fixed, its credentials work again.
 */
@ExtendWith(VertxExtension.class)
class StoredConsumerCheckTest {

  private static final String SECRET = "an-hs256-shared-secret-of-32-chars-or-more";

  private Gateway gw;
  private String aliceId;
  private String aliceKey;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    gw.plugin("key-auth", "api", new JsonObject());
    gw.plugin("acl", "api", new JsonObject().put("allow", new JsonArray().add("staff")));
    JsonObject alice = gw.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "alice")
        .put("custom_id", "c-1").put("groups", new JsonArray().add("staff")));
    aliceId = alice.getString("id");
    aliceKey = gw.key(alice);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  /** Writes with psql (bypassing the admin API) and waits until every node applied the change. */
  private void psql(String... statements) {
    gw.db.transaction(statements);
    gw.awaitApplied(gw.db.configVersion());
  }

  private void refusedWithoutConsumerData(Http.Reply r, String... secrets) {
    assertEquals(500, r.status(), r.text());
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals("consumer_invalid", error.getString("code"), r.text());
    for (String s : secrets) {
      assertFalse(r.text().contains(s), "the answer names nothing of the consumer: " + r.text());
    }
  }

  @Test
  void a_consumer_written_with_psql_in_a_form_the_api_refuses_never_reaches_the_upstream() {
    assertEquals(200, gw.get("/api/x", "apikey", aliceKey).status());
    int received = gw.backend.completed.size();

    try (CapturedLogs logs = CapturedLogs.of(Level.WARN, InvalidConsumers.class.getName())) {
      psql("update consumers set custom_id = 'c-1' || chr(133) where username = 'alice'");
      refusedWithoutConsumerData(gw.get("/api/x", "apikey", aliceKey), "c-1", "alice");
      List<String> lines = logs.atLeast(Level.WARN);
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).contains(aliceId) && lines.get(0).contains("acme")
          && lines.get(0).contains("custom_id"), lines.get(0));

      psql("update consumers set custom_id = 'c-1', groups = array['staff', 'admin, root'] where username = 'alice'");
      refusedWithoutConsumerData(gw.get("/api/x", "apikey", aliceKey), "admin", "root");

      psql("update consumers set groups = '{staff}', username = 'alice' || chr(13) || chr(10) || 'X-Injected: yes'"
          + " where username = 'alice'");
      refusedWithoutConsumerData(gw.get("/api/x", "apikey", aliceKey), "alice", "X-Injected");
      assertEquals(3, logs.atLeast(Level.WARN).size(), "each new problem logged once: " + logs.atLeast(Level.WARN));
    }
    assertEquals(received, gw.backend.completed.size(), "no request of the invalid consumer reached the upstream");

    Http.Reply metrics = gw.admin(HttpMethod.GET, "/metrics", null);
    for (String field : List.of("custom_id", "groups", "username")) {
      assertTrue(metrics.text().contains("sluice_consumer_invalid_total{field=\"" + field + "\"} 1.0"),
          field + " counted: " + metrics.text().lines().filter(l -> l.contains("consumer_invalid")).toList());
    }
    JsonObject consumers = new JsonObject(gw.admin(HttpMethod.GET, "/health/ready", null).text())
        .getJsonObject("checks").getJsonObject("consumers");
    assertEquals("DOWN", consumers.getString("status"), consumers.encode());
    JsonObject listed = consumers.getJsonArray("invalid").getJsonObject(0);
    assertEquals(aliceId, listed.getString("id"), consumers.encode());
    assertEquals("acme", listed.getString("tenant"));
    assertEquals("username", listed.getJsonArray("fields").getJsonObject(0).getString("field"));
    assertFalse(consumers.encode().contains("X-Injected"), "the report names no consumer data");
    // A probe without a token (and a tenant's token) gets the status and the count, never whose or which.
    String tenantToken = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"))
        .getString("token");
    for (Http.Reply probe : List.of(gw.http.get(gw.node().adminPort(), "/health/ready"),
        gw.adminAs(tenantToken, HttpMethod.GET, "/health/ready", null))) {
      assertEquals(200, probe.status(), probe.text());
      JsonObject shown = new JsonObject(probe.text());
      assertEquals(new JsonObject().put("status", "DOWN").put("critical", false).put("invalid_count", 1),
          shown.getJsonObject("checks").getJsonObject("consumers"), probe.text());
      assertEquals("DEGRADED", shown.getString("status"));
      assertFalse(probe.text().contains(aliceId) || probe.text().contains("acme"), probe.text());
    }
    assertEquals(401, gw.adminAs("not-a-token", HttpMethod.GET, "/health/ready", null).status(),
        "a token given is checked");

    psql("update consumers set username = 'alice' where id = '" + aliceId + "'");
    assertEquals(200, gw.get("/api/x", "apikey", aliceKey).status());
    assertEquals("staff", gw.last().headers().get("X-Consumer-Groups"));
    consumers = new JsonObject(gw.admin(HttpMethod.GET, "/health/ready", null).text())
        .getJsonObject("checks").getJsonObject("consumers");
    assertEquals("UP", consumers.getString("status"), "a fixed consumer leaves the list: " + consumers.encode());
  }

  @Test
  void a_jwt_consumer_with_a_comma_in_a_group_is_refused_once_its_token_is_verified() throws Exception {
    JsonObject bob = gw.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "bob"));
    gw.create("/consumers/" + bob.getString("id") + "/jwt", new JsonObject().put("issuer", "bob-issuer")
        .put("algorithm", "HS256").put("secret", SECRET));
    gw.plugin("jwt", "open", new JsonObject());
    SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .issuer("bob-issuer").expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());
    token.sign(new MACSigner(SECRET));
    String bearer = "Bearer " + token.serialize();
    assertEquals(200, gw.get("/open/x", "Authorization", bearer).status());

    psql("update consumers set groups = array['gold, admin'] where username = 'bob'");
    int received = gw.backend.completed.size();
    refusedWithoutConsumerData(gw.get("/open/x", "Authorization", bearer), "gold", "admin");
    assertEquals(received, gw.backend.completed.size());
    assertEquals(401, gw.get("/open/x", "Authorization", "Bearer " + token.serialize() + "x").status(),
        "a token that does not verify learns nothing of the consumer");
  }

  @Test
  void the_admin_api_refuses_a_comma_inside_a_group_name() {
    Http.Reply r = gw.admin(HttpMethod.POST, "/consumers", new JsonObject().put("tenant", "acme")
        .put("username", "carol").put("groups", new JsonArray().add("admin, root")));
    assertEquals(400, r.status(), r.text());
    assertTrue(r.text().contains("\"field\":\"groups[0]\""), r.text());
  }
}
