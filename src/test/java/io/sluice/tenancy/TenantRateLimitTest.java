package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A global rate limit counts every tenant apart: equal header values in two tenants share no counter. */
@ExtendWith(VertxExtension.class)
class TenantRateLimitTest {

  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    gw.create("/tenants", new JsonObject().put("name", "globex"));
    gw.create("/services", new JsonObject().put("name", "gsvc").put("tenant", "globex").put("retries", 0)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    gw.create("/routes", new JsonObject().put("name", "g").put("service", "gsvc")
        .put("paths", new JsonArray().add("/g")));
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  @Test
  void equal_header_values_in_two_tenants_have_their_own_counters() {
    gw.plugin("rate-limiting", null, new JsonObject().put("hour", 2).put("limit_by", "header")
        .put("header_name", "X-Team"));
    assertEquals(200, gw.get("/open/x", "X-Team", "blue").status());
    assertEquals(200, gw.get("/api/x", "X-Team", "blue").status());
    assertEquals(429, gw.get("/open/x", "X-Team", "blue").status(), "acme's blue used its 2");
    assertEquals(200, gw.get("/g/x", "X-Team", "blue").status(), "globex's blue is another counter");
    assertEquals(200, gw.get("/g/x", "X-Team", "blue").status());
    assertEquals(429, gw.get("/g/x", "X-Team", "blue").status());
  }

  @Test
  void equal_usernames_in_two_tenants_have_their_own_counters() {
    JsonObject acme = gw.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "dan"));
    JsonObject globex = gw.create("/consumers", new JsonObject().put("tenant", "globex").put("username", "dan"));
    String acmeKey = gw.key(acme);
    String globexKey = gw.key(globex);
    gw.plugin("key-auth", null, new JsonObject());
    gw.plugin("rate-limiting", null, new JsonObject().put("hour", 1).put("limit_by", "consumer"));
    assertEquals(200, gw.get("/open/x", "apikey", acmeKey).status());
    assertEquals(429, gw.get("/open/x", "apikey", acmeKey).status());
    assertEquals(200, gw.get("/g/x", "apikey", globexKey).status(), "globex's dan is counted apart");
    assertEquals(401, gw.get("/g/x", "apikey", acmeKey).status(), "and a global key-auth keeps tenants apart");
  }
}
