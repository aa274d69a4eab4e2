package io.sluice.admin;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A row PostgreSQL cannot refuse (a regex Java does not compile, a plugin configuration outside its policy's
 * schema), written with psql: the node leaves out (or keeps at its last good state) only that entity and
 * what depends on it, applies every later change, and says so in /cluster, /health/ready, the metrics and
 * the answers of ?wait=true and /cluster/sync, until the row is fixed or deleted.
 */
@ExtendWith(VertxExtension.class)
class RejectedEntitiesTest {

  private Backend backend;
  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response()
        .end("backend " + req.path() + " corr=" + req.getHeader("X-Corr")));
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: echo
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: first, service: echo, paths: ["/first"]}
        """.formatted(backend.port()));
  }

  @AfterEach
  void stop() {
    api.close();
    backend.close();
  }

  private int proxy(String path) {
    return api.http.get(api.node.proxyPort(), path).status();
  }

  private void awaitApplied() {
    long version = api.db.configVersion();
    eventually("version " + version + " applied", () -> api.node.node().appliedVersion() >= version);
  }

  private double metric(String type) {
    Matcher m = Pattern.compile("(?m)^sluice_config_rejected_entities\\{type=\"" + type + "\",?\\} (\\S+)$")
        .matcher(api.get("/metrics").text());
    assertTrue(m.find(), "the gauge is exported for type " + type);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void an_export_while_a_stored_row_is_invalid_is_409_naming_the_row_until_it_is_fixed() {
    api.db.transaction("insert into routes (name, service_id, paths) select 'sql-badre', id, '{~(unclosed}'"
        + " from services where name = 'echo'");
    api.db.transaction("insert into plugins (name, scope, config) values ('cors', 'global', '{\"max_age\": -1}')");
    for (String accept : new String[] {"application/json", "application/yaml"}) {
      Http.Reply r = api.call(io.vertx.core.http.HttpMethod.GET, "/config", null, java.util.Map.of("Accept", accept));
      assertEquals(409, r.status(), r.text());
      JsonObject error = new JsonObject(r.text()).getJsonObject("error");
      assertEquals("stored_config_invalid", error.getString("code"));
      assertTrue(error.getString("message").contains("route 'sql-badre'"), error.getString("message"));
      assertTrue(error.getString("message").contains("plugin 'cors of global'"), error.getString("message"));
      JsonArray fields = error.getJsonArray("fields");
      assertEquals(2, fields.size(), fields.encode());
      JsonObject route = fields.stream().map(JsonObject.class::cast)
          .filter(f -> f.getString("entity").equals("route")).findFirst().orElseThrow();
      assertEquals("sql-badre", route.getString("name"));
      assertEquals("routes[1].paths[0]", route.getString("field"));
      assertTrue(route.getString("reason").contains("regex"), route.encode());
    }
    api.db.transaction("delete from routes where name = 'sql-badre'", "delete from plugins where name = 'cors'");
    Http.Reply fixed = api.get("/config");
    assertEquals(200, fixed.status(), fixed.text());
    assertTrue(fixed.text().contains("first"), fixed.text());
  }

  @Test
  void a_regex_java_cannot_compile_costs_only_its_route_until_it_is_fixed() {
    api.db.transaction("insert into routes (name, service_id, paths) select 'badregex', id, '{\"~/(unclosed\"}'"
        + " from services where name = 'echo'");
    String badId = api.db.queryString("select id::text from routes where name = 'badregex'");
    long badVersion = api.db.configVersion();
    awaitApplied();

    // Reported by id and reason: /health/ready (DEGRADED, still ready), /cluster (self and nodes), the gauge.
    Http.Reply ready = api.get("/health/ready");
    assertEquals(200, ready.status(), ready.text());
    JsonObject health = new JsonObject(ready.text());
    assertEquals("DEGRADED", health.getString("status"));
    JsonObject config = health.getJsonObject("checks").getJsonObject("config");
    assertEquals("DOWN", config.getString("status"));
    JsonObject reported = config.getJsonArray("rejected").getJsonObject(0);
    assertEquals("route", reported.getString("type"));
    assertEquals(badId, reported.getString("id"));
    assertEquals("badregex", reported.getString("name"));
    assertTrue(reported.getString("reason").startsWith("paths[0]: invalid regex"), reported.encode());
    assertEquals(badVersion, reported.getLong("version"));
    assertEquals(false, reported.getBoolean("kept"));
    JsonObject cluster = new JsonObject(api.get("/cluster").text());
    assertEquals(badId, cluster.getJsonObject("self").getJsonArray("rejected").getJsonObject(0).getString("id"));
    assertEquals(badId, cluster.getJsonArray("nodes").getJsonObject(0).getJsonArray("rejected").getJsonObject(0)
        .getString("id"), cluster.encode());
    assertEquals(1.0, metric("route"));
    assertEquals(0.0, metric("plugin"));
    Http.Reply sync = api.get("/cluster/sync?version=" + badVersion + "&timeout=2s");
    assertEquals(409, sync.status(), sync.text());
    assertEquals(badId, new JsonObject(sync.text()).getJsonArray("rejected").getJsonObject(0).getString("id"));

    // Every other route serves, and later changes apply.
    assertEquals(200, proxy("/first/x"));
    Http.Reply later = api.post("/routes?wait=true", new JsonObject().put("name", "later").put("service", "echo")
        .put("paths", new JsonArray().add("/later")));
    assertEquals(201, later.status(), later.text());
    assertEquals("true", later.header("Sluice-Cluster-Applied"));
    assertEquals(200, proxy("/later/x"));
    assertEquals(200, api.get("/cluster/sync?version=" + AdminApi.configVersion(later)).status(),
        "a version whose entities all applied is synced");

    // A write of an entity that depends on the rejected one: committed, but not applied, and said so.
    Http.Reply plugin = api.post("/plugins?wait=true", new JsonObject().put("name", "correlation-id")
        .put("scope", "route").put("route", "badregex").put("config", new JsonObject()));
    assertEquals(201, plugin.status(), plugin.text());
    assertEquals("false", plugin.header("Sluice-Cluster-Applied"));
    String pluginId = new JsonObject(plugin.text()).getString("id");
    assertEquals("plugin/" + pluginId, plugin.header("Sluice-Cluster-Rejected"));
    assertEquals(1.0, metric("plugin"));

    // Fixing the row clears the report; the route and its plugin apply.
    api.db.transaction("update routes set paths = '{/fixed}' where name = 'badregex'");
    awaitApplied();
    assertEquals(200, proxy("/fixed/x"));
    assertTrue(api.node.node().rejected().isEmpty(), api.node.node().rejected().toString());
    JsonObject healthy = new JsonObject(api.get("/health/ready").text());
    assertEquals("UP", healthy.getString("status"), healthy.encode());
    assertEquals(0.0, metric("route"));
    assertEquals(0, new JsonObject(api.get("/cluster").text()).getJsonObject("self").getJsonArray("rejected").size());
  }

  @Test
  void a_kept_route_does_not_hold_the_name_its_row_gave_up_from_a_new_route() {
    Http.Reply nt = api.post("/routes?wait=true", new JsonObject().put("name", "nt").put("service", "echo")
        .put("paths", new JsonArray().add("/nt")));
    assertEquals(201, nt.status(), nt.text());
    api.db.transaction("update routes set name = 'nt-old', paths = '{\"~/(unclosed\"}' where name = 'nt'");
    awaitApplied();
    assertEquals(200, proxy("/nt/x"), "kept at its last good state, under its old name");
    assertEquals(true, api.node.node().rejected().get(0).kept());

    Http.Reply again = api.post("/routes?wait=true", new JsonObject().put("name", "nt").put("service", "echo")
        .put("paths", new JsonArray().add("/nt2")));
    assertEquals(201, again.status(), again.text());
    assertEquals("true", again.header("Sluice-Cluster-Applied"), "the new row named nt is served");
    assertEquals(200, proxy("/nt2/x"));
    assertEquals(404, proxy("/nt/x"), "the kept state gave the name up, and is left out");
    JsonObject reported = new JsonObject(api.get("/cluster").text()).getJsonObject("self").getJsonArray("rejected")
        .getJsonObject(0);
    assertEquals("nt-old", reported.getString("name"), reported.encode());
    assertEquals(false, reported.getBoolean("kept"), reported.encode());
    assertTrue(reported.getString("reason").contains("'nt' is another route's now"), reported.encode());
  }

  @Test
  void a_plugin_config_outside_its_schema_keeps_its_last_good_state_until_the_row_is_deleted() {
    Http.Reply created = api.post("/plugins?wait=true", new JsonObject().put("name", "correlation-id")
        .put("scope", "route").put("route", "first").put("config", new JsonObject().put("header_name", "X-Corr")));
    assertEquals(201, created.status(), created.text());
    assertEquals("true", created.header("Sluice-Cluster-Applied"));
    assertTrue(api.http.get(api.node.proxyPort(), "/first/a").text().contains("corr="), "the plugin runs");
    assertTrue(!api.http.get(api.node.proxyPort(), "/first/a").text().contains("corr=null"));

    api.db.transaction("update plugins set config = '{\"header_name\": 5}'");
    awaitApplied();
    JsonObject reported = new JsonObject(api.get("/cluster").text()).getJsonObject("self").getJsonArray("rejected")
        .getJsonObject(0);
    assertEquals("plugin", reported.getString("type"));
    assertEquals(true, reported.getBoolean("kept"), reported.encode());
    assertTrue(reported.getString("reason").startsWith("config.header_name"), reported.encode());
    assertTrue(!api.http.get(api.node.proxyPort(), "/first/a").text().contains("corr=null"),
        "the plugin keeps its last good configuration");
    assertEquals(200, proxy("/first/a"));

    api.db.transaction("delete from plugins");
    awaitApplied();
    assertTrue(api.node.node().rejected().isEmpty());
    assertTrue(api.http.get(api.node.proxyPort(), "/first/a").text().contains("corr=null"), "the plugin is gone");
    assertEquals(0.0, metric("plugin"));
  }

  @Test
  void a_broken_plugin_never_served_before_closes_its_routes_instead_of_opening_them() {
    // An open route under a key-auth route: were the key-auth route (or its plugin) left out, its requests
    // would fall through to the open prefix and reach the backend without a key.
    Http.Reply open = api.post("/routes?wait=true", new JsonObject().put("name", "open").put("service", "echo")
        .put("paths", new io.vertx.core.json.JsonArray().add("/")));
    assertEquals(201, open.status(), open.text());
    Http.Reply guarded = api.post("/routes?wait=true", new JsonObject().put("name", "guarded").put("service", "echo")
        .put("paths", new io.vertx.core.json.JsonArray().add("/guarded")));
    assertEquals(201, guarded.status(), guarded.text());
    api.db.transaction("insert into plugins (name, scope, route_id, config) select 'key-auth', 'route', id,"
        + " '{\"key_names\": 5}' from routes where name = 'guarded'");
    awaitApplied();
    Http.Reply r = api.http.get(api.node.proxyPort(), "/guarded/x");
    assertEquals(503, r.status(), "a route whose key-auth was refused answers 503, never the backend: " + r.text());
    assertTrue(r.text().contains("route_unavailable"), r.text());
    assertEquals(200, proxy("/x"), "the other routes serve");
    JsonObject reported = new JsonObject(api.get("/cluster").text()).getJsonObject("self").getJsonArray("rejected")
        .getJsonObject(0);
    assertEquals(false, reported.getBoolean("kept"), reported.encode());

    api.db.transaction("update plugins set config = '{}'");
    awaitApplied();
    assertEquals(401, api.http.get(api.node.proxyPort(), "/guarded/x").status(), "fixed, the key is required");
  }

  @Test
  void a_declarative_file_applies_over_a_bad_row_and_fixes_it() {
    api.db.transaction("insert into routes (name, service_id, paths) select 'badregex', id, '{\"~/(unclosed\"}'"
        + " from services where name = 'echo'");
    awaitApplied();
    assertEquals(1, api.node.node().rejected().size());
    String file = """
        format_version: 1
        services:
          - name: echo
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: first, service: echo, paths: ["/first"]}
          - {name: badregex, service: echo, paths: ["~/fixed(/.*)?"]}
        """.formatted(backend.port());
    Http.Reply applied = api.http.call(new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.PUT)
        .setHost("127.0.0.1").setPort(api.node.adminPort()).setURI("/config?wait=true")
        .putHeader("Authorization", "Bearer " + AdminApi.TOKEN).putHeader("Content-Type", "application/yaml"),
        io.vertx.core.buffer.Buffer.buffer(file));
    assertEquals(200, applied.status(), applied.text());
    assertEquals(1, new JsonObject(applied.text()).getInteger("updated"), applied.text());
    assertEquals("true", applied.header("Sluice-Cluster-Applied"));
    assertTrue(api.node.node().rejected().isEmpty());
    assertEquals(200, proxy("/fixed/x"));
  }

  @Test
  void postgresql_refuses_the_psql_insert_of_a_path_without_a_slash() {
    IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> api.db.transaction("insert into routes (name, service_id, paths) select 'badpath', id, '{nopath}'"
            + " from services where name='echo'"));
    assertTrue(refused.getMessage().startsWith("23514: ERROR: routes.paths[0]: 'nopath' must start with /, =/ or ~"),
        refused.getMessage());
    assertEquals(0, api.db.queryLong("select count(*) from routes where name = 'badpath'"));
  }
}
