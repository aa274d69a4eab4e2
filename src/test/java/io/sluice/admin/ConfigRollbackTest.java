package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
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
 * GET /config?version=N and POST /config/rollback?to=N on real PostgreSQL and a two-node cluster: the file of an
 * earlier version is byte for byte the export made then; a rollback restores services and routes exactly
 * (compared by export), as a new version recorded as `rollback`, served by every node; a dry run changes
 * nothing; a version not written is 404, one whose later history is pruned 410.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigRollbackTest {

  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    gw = Gateway.clustered(vertx, 2);
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  @Test
  void a_rollback_restores_services_and_routes_exactly_on_every_node() {
    long before = gw.db.configVersion();
    String exported = export("");
    assertEquals(201, gw.admin(HttpMethod.POST, "/services", new JsonObject().put("name", "later")
        .put("tenant", "acme").put("targets", new JsonArray().add(new JsonObject()
            .put("address", "127.0.0.1:" + gw.backend.port())))).status());
    assertEquals(201, gw.admin(HttpMethod.POST, "/routes", new JsonObject().put("name", "later-route")
        .put("service", "later").put("paths", new JsonArray().add("/later"))).status());
    gw.db.transaction("update routes set paths = '{/moved}', strip_path = true where name = 'api'",
        "update services set retries = 4 where name = 'svc'");
    gw.db.transaction("delete from routes where name = 'open'");
    long changed = gw.db.configVersion();
    gw.awaitApplied(changed);
    assertEquals(404, gw.get(gw.nodes.get(1), "/open/x").status(), "the deleted route is gone everywhere");

    assertEquals(exported, export("?version=" + before), "the file of an earlier version is the export made then");

    Http.Reply dry = gw.admin(HttpMethod.POST, "/config/rollback?to=" + before + "&dry_run=true", null);
    assertEquals(200, dry.status(), dry.text());
    JsonObject diff = new JsonObject(dry.text());
    assertTrue(diff.getBoolean("dry_run"));
    assertEquals(1, diff.getLong("created"), diff.encode());
    assertEquals(2, diff.getLong("updated"), diff.encode());
    assertEquals(2, diff.getLong("deleted"), diff.encode());
    assertEquals(changed, gw.db.configVersion(), "a dry run writes nothing");

    Http.Reply done = gw.admin(HttpMethod.POST, "/config/rollback?to=" + before + "&wait=true", null);
    assertEquals(200, done.status(), done.text());
    JsonObject answer = new JsonObject(done.text());
    assertEquals(before, answer.getLong("rolled_back_to"));
    assertEquals(changed + 1, answer.getLong("version"), "one new version");
    assertEquals(exported, export(""), "services and routes exactly as they were (compared by export)");

    JsonObject history = new JsonObject(gw.admin(HttpMethod.GET, "/config/history/" + (changed + 1), null).text());
    assertEquals("rollback", history.getString("source"));
    assertEquals("bootstrap", history.getJsonObject("actor").getString("kind"));
    for (TestNode node : gw.nodes) {
      assertEquals(changed + 1, node.node().appliedVersion());
      assertEquals(200, gw.get(node, "/open/x").status(), "the restored route is served by every node");
      assertEquals(404, gw.get(node, "/later/x").status(), "the later route is gone from every node");
    }
  }

  @Test
  void an_unknown_version_is_404_a_pruned_history_410_and_bad_requests_are_named() {
    long v = gw.db.configVersion();
    gw.db.transaction("update routes set priority = priority + 1 where name = 'api'");
    gw.db.transaction("delete from config_history where version = " + (v + 1));
    Http.Reply pruned = gw.admin(HttpMethod.GET, "/config?version=" + v, null);
    assertEquals(410, pruned.status(), pruned.text());
    assertTrue(pruned.text().contains("no longer complete"), pruned.text());
    long after = gw.db.configVersion();
    assertEquals(410, gw.admin(HttpMethod.POST, "/config/rollback?to=" + v, null).status());
    assertEquals(after, gw.db.configVersion(), "a refused rollback writes nothing");
    assertEquals(200, gw.admin(HttpMethod.GET, "/config?version=" + after, null).status(), "the current one");

    assertEquals(404, gw.admin(HttpMethod.GET, "/config?version=" + (after + 100), null).status());
    Http.Reply missing = gw.admin(HttpMethod.POST, "/config/rollback", null);
    assertEquals(400, missing.status());
    assertTrue(missing.text().contains("\"to\""), missing.text());
    assertEquals(400, gw.admin(HttpMethod.GET, "/config?version=x", null).status());
    String tenant = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"))
        .getString("token");
    assertEquals(403, gw.adminAs(tenant, HttpMethod.POST, "/config/rollback?to=" + after, null).status());
    Http.Reply own = gw.adminAs(tenant, HttpMethod.GET, "/config?version=" + after, null, "Accept", "application/json");
    assertEquals(200, own.status(), own.text());
    new JsonObject(own.text()).getJsonArray("services").forEach(s -> assertEquals("acme",
        ((JsonObject) s).getString("tenant"), "a tenant token rebuilds its tenant's part only"));
  }

  /**
   * A row written with psql in breach of the declarative rules (a regex Java does not compile) is shown in a rollback's
   * diff as it stands: the dry run showed paths[0] old null, strip_path false and priority -2147483648 for a row holding
   * '~/term1/(a', true and 0 (an outside tester), the values of the stand-in the diff compares it as.
   */
  @Test
  void a_row_stored_in_breach_of_the_rules_is_shown_as_it_stands_in_a_rollbacks_diff() {
    assertEquals(201, gw.admin(HttpMethod.POST, "/routes?wait=true", new JsonObject().put("name", "term1")
        .put("service", "svc").put("paths", new JsonArray().add("/term1")).put("strip_path", true)).status());
    long good = gw.db.configVersion();
    gw.db.transaction("update routes set paths = '{~/term1/(a}' where name = 'term1'");
    try {
      Http.Reply dry = gw.admin(HttpMethod.POST, "/config/rollback?to=" + good + "&dry_run=true", null);
      assertEquals(200, dry.status(), dry.text());
      JsonObject item = null;
      for (Object c : new JsonObject(dry.text()).getJsonArray("changes")) {
        if ("term1".equals(((JsonObject) c).getString("name"))) {
          item = (JsonObject) c;
        }
      }
      assertTrue(item != null, dry.text());
      assertEquals(new JsonArray().add(new JsonObject().put("field", "paths[0]").put("old", "~/term1/(a")
          .put("new", "/term1")), item.getJsonArray("fields"), "only the field that differs, as stored: " + item);
    } finally {
      gw.db.transaction("delete from routes where name = 'term1'");
    }
  }

  private String export(String query) {
    Http.Reply r = gw.admin(HttpMethod.GET, "/config" + query, null, "Accept", "application/json");
    assertEquals(200, r.status(), r.text());
    return r.text();
  }
}
