package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tenants apart on the request path, on two clustered nodes whose consumer caches (near-cache and the
 * cluster map) already hold the consumer from its own tenant: a key or a JWT of another tenant's consumer is
 * answered exactly as an unknown one and counted; equal usernames, groups and issuers in two tenants never
 * meet.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestPathIsolationTest {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String ACME_SECRET = "acme-hs256-shared-secret-of-32-chars-or-more";
  private static final String GLOBEX_SECRET = "globex-hs256-shared-secret-of-32-chars-or-more";

  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    gw = Gateway.clustered(vertx, 2);
    gw.create("/tenants", new JsonObject().put("name", "globex"));
    gw.create("/services", new JsonObject().put("name", "gsvc").put("tenant", "globex").put("retries", 0)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    for (String r : new String[] {"a-jwt", "a-acl"}) {
      gw.create("/routes", new JsonObject().put("name", r).put("service", "svc").put("paths", new JsonArray()
          .add("/" + r)));
    }
    for (String r : new String[] {"g-key", "g-jwt", "g-acl"}) {
      gw.create("/routes", new JsonObject().put("name", r).put("service", "gsvc").put("paths", new JsonArray()
          .add("/" + r)));
    }
    for (String r : new String[] {"api", "g-key", "a-acl", "g-acl"}) {
      gw.plugin("key-auth", r, new JsonObject());
    }
    gw.plugin("jwt", "a-jwt", new JsonObject());
    gw.plugin("jwt", "g-jwt", new JsonObject());
    gw.plugin("acl", "a-acl", new JsonObject().put("allow", new JsonArray().add("gold")));
    gw.plugin("acl", "g-acl", new JsonObject().put("allow", new JsonArray().add("silver")));
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private JsonObject consumer(String tenant, String username, String... groups) {
    return gw.create("/consumers", new JsonObject().put("tenant", tenant).put("username", username)
        .put("groups", new JsonArray(java.util.List.of(groups))));
  }

  private static JsonObject withoutRequestId(Http.Reply r) {
    JsonObject body = new JsonObject(r.text());
    body.getJsonObject("error").remove("request_id");
    return body;
  }

  private double crossTenant(TestNode node, String reason) {
    Counter c = node.node().registry().find("sluice.auth.cross_tenant").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void a_key_of_another_tenant_is_answered_as_an_unknown_key_on_every_node_with_warm_caches() {
    String acmeKey = gw.key(consumer("acme", "alice"));
    String globexKey = gw.key(consumer("globex", "alice"));
    for (TestNode n : gw.nodes) {
      // Warm both tiers of the consumer cache with each key, from its own tenant's route.
      assertEquals(200, gw.get(n, "/api/x", "apikey", acmeKey).status());
      assertEquals(200, gw.get(n, "/g-key/x", "apikey", globexKey).status());
    }
    int before = gw.backend.completed.size();
    for (TestNode n : gw.nodes) {
      double counted = crossTenant(n, "api_key");
      Http.Reply unknown = gw.get(n, "/g-key/x", "apikey", "sk_not-a-key-of-anyone-000000000000");
      Http.Reply cross = gw.get(n, "/g-key/x", "apikey", acmeKey);
      assertEquals(401, cross.status(), cross.text());
      assertEquals(unknown.status(), cross.status());
      assertEquals(withoutRequestId(unknown), withoutRequestId(cross), "the same body as an unknown key");
      assertEquals(unknown.header("WWW-Authenticate"), cross.header("WWW-Authenticate"));
      assertEquals(401, gw.get(n, "/api/x", "apikey", globexKey).status(), "and the other way round");
      assertEquals(counted + 2, crossTenant(n, "api_key"), "each refusal is counted by reason");
      // The right tenant's key still works after the refusals (nothing cached wrongly).
      assertEquals(200, gw.get(n, "/api/x", "apikey", acmeKey).status());
    }
    assertEquals(before + gw.nodes.size(), gw.backend.completed.size(), "no cross-tenant request went upstream");
  }

  @Test
  void a_jwt_of_another_tenant_is_refused_even_with_an_issuer_both_tenants_use() {
    JsonObject acmeBob = consumer("acme", "bob");
    JsonObject globexBob = consumer("globex", "bob");
    JsonObject globexEve = consumer("globex", "eve");
    gw.create("/consumers/" + acmeBob.getString("id") + "/jwt", new JsonObject().put("issuer", "shared-idp")
        .put("algorithm", "HS256").put("secret", ACME_SECRET));
    // The same issuer in another tenant: issuers are unique per tenant, not globally.
    gw.create("/consumers/" + globexBob.getString("id") + "/jwt", new JsonObject().put("issuer", "shared-idp")
        .put("algorithm", "HS256").put("secret", GLOBEX_SECRET));
    gw.create("/consumers/" + globexEve.getString("id") + "/jwt", new JsonObject().put("issuer", "globex-idp")
        .put("algorithm", "HS256").put("secret", GLOBEX_SECRET));
    String acmeToken = hs256("shared-idp", ACME_SECRET);
    String globexToken = hs256("shared-idp", GLOBEX_SECRET);
    String eveToken = hs256("globex-idp", GLOBEX_SECRET);
    for (TestNode n : gw.nodes) {
      Http.Reply a = gw.get(n, "/a-jwt/x", "Authorization", "Bearer " + acmeToken);
      assertEquals(200, a.status(), a.text());
      assertEquals(acmeBob.getString("id"), gw.last().headers().get("X-Consumer-ID"));
      Http.Reply g = gw.get(n, "/g-jwt/x", "Authorization", "Bearer " + globexToken);
      assertEquals(200, g.status(), g.text());
      assertEquals(globexBob.getString("id"), gw.last().headers().get("X-Consumer-ID"));
      assertEquals(200, gw.get(n, "/g-jwt/x", "Authorization", "Bearer " + eveToken).status());
    }
    for (TestNode n : gw.nodes) {
      assertEquals(401, gw.get(n, "/a-jwt/x", "Authorization", "Bearer " + globexToken).status());
      assertEquals(401, gw.get(n, "/g-jwt/x", "Authorization", "Bearer " + acmeToken).status());
      Http.Reply unknown = gw.get(n, "/a-jwt/x", "Authorization", "Bearer " + hs256("nobody-idp", GLOBEX_SECRET));
      Http.Reply cross = gw.get(n, "/a-jwt/x", "Authorization", "Bearer " + eveToken);
      assertEquals(401, cross.status(), cross.text());
      assertEquals(withoutRequestId(unknown), withoutRequestId(cross), "the same body as an unknown issuer");
    }
  }

  @Test
  void equal_usernames_and_groups_in_two_tenants_stay_apart_under_acl() {
    String acmeCarol = gw.key(consumer("acme", "carol", "gold"));
    String globexCarol = gw.key(consumer("globex", "carol", "gold"));
    for (TestNode n : gw.nodes) {
      Http.Reply ok = gw.get(n, "/a-acl/x", "apikey", acmeCarol);
      assertEquals(200, ok.status(), ok.text());
      assertEquals("gold", gw.last().headers().get("X-Consumer-Groups"));
      assertEquals(401, gw.get(n, "/a-acl/x", "apikey", globexCarol).status(),
          "a group of the same name in another tenant opens nothing");
      assertEquals(403, gw.get(n, "/g-acl/x", "apikey", globexCarol).status(), "globex allows silver only");
      assertEquals(401, gw.get(n, "/g-acl/x", "apikey", acmeCarol).status());
    }
  }

  @Test
  void a_service_without_a_tenant_belongs_to_the_default_tenant_also_when_written_with_sql() {
    JsonObject s = gw.create("/services", new JsonObject().put("name", "plain").put("targets", new JsonArray()
        .add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    assertEquals("default", s.getString("tenant"));
    gw.db.transaction("insert into services (name, targets) values ('by-sql', '[{\"address\": \"127.0.0.1:1\"}]')");
    gw.awaitApplied(gw.db.configVersion());
    Http.Reply listed = gw.admin(HttpMethod.GET, "/services?tenant=default", null);
    assertTrue(listed.text().contains("\"by-sql\"") && listed.text().contains("\"plain\""), listed.text());
    assertEquals(0L, gw.db.queryLong("select count(*) from services where tenant_id is null"));
  }

  private static String hs256(String issuer, String secret) {
    try {
      String head = B64.encodeToString(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode()
          .getBytes(StandardCharsets.UTF_8));
      String body = B64.encodeToString(new JsonObject().put("iss", issuer).put("sub", "s")
          .put("exp", System.currentTimeMillis() / 1000 + 300).encode().getBytes(StandardCharsets.UTF_8));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return head + "." + body + "." + B64.encodeToString(mac.doFinal((head + "." + body)
          .getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
