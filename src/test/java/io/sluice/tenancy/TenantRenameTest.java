package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A tenant's past is chosen by its id, never by the name it has now: after beta is renamed beta-old and a new
 * tenant takes the name beta, each one's {@code GET /config?version=N} and history hold its own entities only.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantRenameTest {

  private Gateway gw;
  private String oldBetaId;
  private String oldToken;
  private String newToken;
  private long before;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    JsonObject beta = gw.create("/tenants", new JsonObject().put("name", "beta"));
    oldBetaId = beta.getString("id");
    gw.create("/services", new JsonObject().put("name", "bsvc").put("tenant", "beta")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    gw.create("/routes", new JsonObject().put("name", "broute").put("service", "bsvc")
        .put("paths", new JsonArray().add("/b")));
    JsonObject bob = gw.create("/consumers", new JsonObject().put("tenant", "beta").put("username", "bob"));
    gw.create("/consumers/" + bob.getString("id") + "/keys", new JsonObject());
    before = gw.db.configVersion();
    oldToken = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "beta"))
        .getString("token");

    Http.Reply renamed = gw.admin(HttpMethod.PATCH, "/tenants/" + oldBetaId, new JsonObject().put("name", "beta-old"),
        "If-Match", String.valueOf(beta.getLong("version")));
    assertEquals(200, renamed.status(), renamed.text());
    gw.create("/tenants", new JsonObject().put("name", "beta"));
    newToken = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "beta"))
        .getString("token");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private String exportAt(String token, long version) {
    Http.Reply r = gw.adminAs(token, HttpMethod.GET, "/config?version=" + version, null, "Accept", "application/json");
    assertEquals(200, r.status(), r.text());
    return r.text();
  }

  @Test
  void a_tenant_that_took_a_renamed_tenants_name_sees_none_of_its_past() {
    JsonObject file = new JsonObject(exportAt(newToken, before));
    assertTrue(file.getJsonArray("services").isEmpty(), file.encode());
    assertTrue(file.getJsonArray("routes").isEmpty(), file.encode());
    assertTrue(file.getJsonArray("consumers").isEmpty(), file.encode());
  }

  @Test
  void a_renamed_tenant_sees_its_own_past_under_its_name_now_and_can_apply_it_again() {
    String text = exportAt(oldToken, before);
    JsonObject file = new JsonObject(text);
    assertEquals("bsvc", file.getJsonArray("services").getJsonObject(0).getString("name"), text);
    assertEquals("beta-old", file.getJsonArray("services").getJsonObject(0).getString("tenant"), text);
    assertEquals("broute", file.getJsonArray("routes").getJsonObject(0).getString("name"), text);
    assertEquals("bob", file.getJsonArray("consumers").getJsonObject(0).getString("username"), text);
    assertEquals("beta-old", file.getJsonArray("consumers").getJsonObject(0).getString("tenant"), text);

    Http.Reply again = gw.adminAs(oldToken, HttpMethod.PUT, "/config?dry_run=true", file);
    assertEquals(200, again.status(), again.text());
    assertEquals(0, new JsonObject(again.text()).getJsonArray("changes").size(), again.text());
  }

  @Test
  void history_by_a_tenants_name_is_that_tenants_whatever_it_was_named_then() {
    JsonArray oldOwn = history(oldToken, "/config/history?entity=service");
    assertEquals(1, oldOwn.size(), oldOwn.encode());
    assertTrue(history(newToken, "/config/history?entity=service").isEmpty());

    assertTrue(history(Gateway.TOKEN, "/config/history?entity=service&tenant=beta").isEmpty(),
        "the name beta is the new tenant's now");
    assertEquals(1, history(Gateway.TOKEN, "/config/history?entity=service&tenant=beta-old").size());
    assertEquals(1, history(Gateway.TOKEN, "/config/history?entity=service&tenant=" + oldBetaId).size());
    assertFalse(history(Gateway.TOKEN, "/config/history?entity=tenant&tenant=beta").encode().contains(oldBetaId));
  }

  private JsonArray history(String token, String uri) {
    Http.Reply r = gw.adminAs(token, HttpMethod.GET, uri, null);
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text()).getJsonArray("data");
  }
}
