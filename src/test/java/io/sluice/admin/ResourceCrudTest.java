package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Tenants, services, routes and plugins through the admin API against real PostgreSQL and a real node. */
@ExtendWith(VertxExtension.class)
class ResourceCrudTest {

  private Backend backend;
  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response().end("backend " + req.path()));
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: svc
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: all, service: svc, paths: ["/all"]}
        """.formatted(backend.port()));
  }

  @AfterEach
  void stop() {
    api.close();
    backend.close();
  }

  private JsonObject service(String name, String tenant) {
    JsonObject s = new JsonObject().put("name", name)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + backend.port())));
    return tenant == null ? s : s.put("tenant", tenant);
  }

  private static List<String> fields(Http.Reply r) {
    List<String> out = new ArrayList<>();
    for (Object f : new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields")) {
      out.add(((JsonObject) f).getString("field"));
    }
    return out;
  }

  @Test
  void tenants_services_and_routes_round_trip_with_increasing_config_versions() {
    List<Long> versions = new ArrayList<>();
    JsonObject tenant = api.create("/tenants", new JsonObject().put("name", "acme"));
    JsonObject svc = api.create("/services", service("orders", "acme"));
    assertEquals("acme", svc.getString("tenant"));
    assertEquals("round-robin", svc.getJsonObject("load_balancing").getString("algorithm"), "defaults filled in");
    Http.Reply created = api.post("/routes", new JsonObject().put("name", "orders").put("service", "orders")
        .put("paths", new JsonArray().add("/orders")));
    assertEquals(201, created.status(), created.text());
    versions.add(AdminApi.configVersion(created));
    JsonObject route = new JsonObject(created.text());
    String uri = "/routes/" + route.getString("id");

    Http.Reply read = api.get(uri);
    assertEquals(200, read.status());
    assertEquals(route, new JsonObject(read.text()));
    assertEquals("\"1\"", read.header("ETag"));

    JsonObject replaced = route.copy().put("paths", new JsonArray().add("/orders2")).put("priority", 5);
    Http.Reply put = api.put(uri, replaced, 1);
    assertEquals(200, put.status(), put.text());
    versions.add(AdminApi.configVersion(put));
    assertEquals(2, new JsonObject(put.text()).getLong("version"));
    assertEquals(5, new JsonObject(put.text()).getInteger("priority"));

    Http.Reply patch = api.patch(uri, new JsonObject().put("strip_path", true), 2);
    assertEquals(200, patch.status(), patch.text());
    versions.add(AdminApi.configVersion(patch));
    JsonObject patched = new JsonObject(patch.text());
    assertEquals(true, patched.getBoolean("strip_path"));
    assertEquals("/orders2", patched.getJsonArray("paths").getString(0), "PATCH keeps what it does not name");

    JsonObject list = new JsonObject(api.get("/routes?tenant=acme").text());
    assertEquals(1, list.getJsonArray("data").size());
    assertEquals(1, new JsonObject(api.get("/services?tenant=" + tenant.getString("id")).text())
        .getJsonArray("data").size());

    Http.Reply del = api.delete(uri);
    assertEquals(204, del.status());
    versions.add(AdminApi.configVersion(del));
    assertEquals(404, api.get(uri).status());
    assertEquals(204, api.delete("/services/" + svc.getString("id")).status());
    Http.Reply delTenant = api.delete("/tenants/" + tenant.getString("id"));
    assertEquals(204, delTenant.status());
    versions.add(AdminApi.configVersion(delTenant));
    for (int i = 1; i < versions.size(); i++) {
      assertTrue(versions.get(i) > versions.get(i - 1), "versions increase: " + versions);
    }
    assertEquals(api.db.configVersion(), versions.get(versions.size() - 1));
  }

  @Test
  void a_route_created_through_the_api_answers_on_the_proxy_port_within_a_second() throws Exception {
    assertEquals(404, api.http.get(api.node.proxyPort(), "/fresh/x").status());
    long before = api.db.configVersion();
    api.create("/routes", new JsonObject().put("name", "fresh").put("service", "svc")
        .put("paths", new JsonArray().add("=/fresh/x")).put("priority", 10));
    long deadline = System.currentTimeMillis() + 1_000;
    int status = 0;
    while (System.currentTimeMillis() < deadline && status != 200) {
      status = api.http.get(api.node.proxyPort(), "/fresh/x").status();
      if (status != 200) {
        Thread.sleep(20);
      }
    }
    assertEquals(200, status, "served within a second without a restart");
    assertTrue(api.node.node().appliedVersion() > before);
  }

  @Test
  void an_invalid_route_reports_every_failing_field_and_writes_nothing() {
    long before = api.db.configVersion();
    Http.Reply r = api.post("/routes", new JsonObject().put("name", "bad").put("service", "nope")
        .put("paths", new JsonArray().add("no-slash")).put("colour", "red"));
    assertEquals(400, r.status(), r.text());
    assertEquals("invalid", new JsonObject(r.text()).getJsonObject("error").getString("code"));
    assertEquals(List.of("colour", "paths[0]", "service"), fields(r));

    Http.Reply regex = api.post("/routes", new JsonObject().put("name", "re").put("service", "svc")
        .put("paths", new JsonArray().add("~/(unclosed")));
    assertEquals(400, regex.status());
    assertEquals(List.of("paths[0]"), fields(regex));

    Http.Reply svc = api.post("/services", service("s2", "no-such-tenant").put("retry_backoff",
        new JsonObject().put("base_ms", 500).put("cap_ms", 10)));
    assertEquals(400, svc.status());
    assertEquals(List.of("retry_backoff.cap_ms", "tenant"), fields(svc));

    assertEquals(400, api.post("/tenants", "{not json").status());
    assertEquals(before, api.db.configVersion(), "nothing was written");
    assertEquals(0, api.db.queryLong("select count(*) from routes where name in ('bad', 're')"));
  }

  @Test
  void if_match_must_be_present_and_match_the_row_version() {
    JsonObject t = api.create("/tenants", new JsonObject().put("name", "t1"));
    String uri = "/tenants/" + t.getString("id");
    Http.Reply stale = api.put(uri, new JsonObject().put("name", "t2"), 7);
    assertEquals(412, stale.status(), stale.text());
    Http.Reply missing = api.call(HttpMethod.PUT, uri, new JsonObject().put("name", "t2"), Map.of());
    assertEquals(428, missing.status());
    assertEquals(200, api.put(uri, new JsonObject().put("name", "t2"), 1).status());
    assertEquals(412, api.put(uri, new JsonObject().put("name", "t3"), 1).status(), "version 1 is now stale");
    assertEquals("t2", new JsonObject(api.get(uri).text()).getString("name"));
  }

  @Test
  void delete_while_referenced_and_duplicate_names_answer_409() {
    JsonObject svc = api.create("/services", service("used", null));
    api.create("/routes", new JsonObject().put("name", "uses").put("service", "used"));
    Http.Reply del = api.delete("/services/" + svc.getString("id"));
    assertEquals(409, del.status(), del.text());
    String message = new JsonObject(del.text()).getJsonObject("error").getString("message");
    assertEquals("it is still in use: routes refer to it (delete them or point them elsewhere first)", message,
        "in words, never PostgreSQL's text");
    Http.Reply dup = api.post("/services", service("used", null));
    assertEquals(409, dup.status(), dup.text());
    assertEquals(List.of("name"), fields(dup), "the clash names its field: " + dup.text());
    assertEquals("name: is already taken by another service",
        new JsonObject(dup.text()).getJsonObject("error").getString("message"));
    assertEquals(200, api.get("/services/" + svc.getString("id")).status());
  }

  /**
   * Tenants, services and routes are named in the path by name as well as by id (as in Kong: a script deletes the
   * route it created by the name it gave), since their names are unique and never have an id's form. Consumers (a
   * username is unique per tenant only) stay by id. A tenant token naming another tenant's entity is answered as
   * for one that does not exist, by the name it gave, never with the entity's id.
   */
  @Test
  void tenants_services_and_routes_are_named_in_the_path_by_name_or_id() {
    JsonObject alpha = api.create("/tenants", new JsonObject().put("name", "alpha"));
    api.create("/tenants", new JsonObject().put("name", "beta"));
    JsonObject asvc = api.create("/services", service("asvc", "alpha"));
    JsonObject bsvc = api.create("/services", service("bsvc", "beta"));
    JsonObject route = api.create("/routes", new JsonObject().put("name", "a-route").put("service", "asvc")
        .put("paths", new JsonArray().add("/a")));

    Http.Reply byName = api.get("/routes/a-route");
    assertEquals(200, byName.status(), byName.text());
    assertEquals(route, new JsonObject(byName.text()));
    assertEquals("\"1\"", byName.header("ETag"));
    assertEquals(asvc.getString("id"), new JsonObject(api.get("/services/asvc").text()).getString("id"));
    assertEquals(alpha.getString("id"), new JsonObject(api.get("/tenants/alpha").text()).getString("id"));

    Http.Reply patched = api.patch("/routes/a-route", new JsonObject().put("priority", 3), 1);
    assertEquals(200, patched.status(), patched.text());
    assertEquals(3, new JsonObject(api.get("/routes/" + route.getString("id")).text()).getInteger("priority"));
    Http.Reply put = api.put("/services/asvc", asvc.copy().put("retries", 2), 1);
    assertEquals(200, put.status(), put.text());
    assertEquals(2, new JsonObject(put.text()).getInteger("retries"));

    for (String odd : List.of("%00", "a%00b", "%C3%28", "a%2Fb", "%20a-route")) {
      Http.Reply r = api.get("/routes/" + odd);
      assertEquals(404, r.status(), odd + ": " + r.text()); // a NUL was a 500: PostgreSQL refuses it in text
    }
    Http.Reply missing = api.get("/routes/no-such-route");
    assertEquals(404, missing.status(), missing.text());
    assertEquals("no route no-such-route", new JsonObject(missing.text()).getJsonObject("error").getString("message"));
    JsonObject consumer = api.create("/consumers", new JsonObject().put("username", "carol").put("tenant", "alpha"));
    assertEquals(404, api.get("/consumers/carol").status(), "consumers by id only");
    assertEquals(200, api.get("/consumers/" + consumer.getString("id")).status());

    Http.Reply token = api.post("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "alpha"));
    assertEquals(201, token.status(), token.text());
    String alphaToken = new JsonObject(token.text()).getString("token");
    Map<String, String> asAlpha = Map.of("Authorization", "Bearer " + alphaToken);
    assertEquals(200, api.call(HttpMethod.GET, "/services/asvc", null, asAlpha).status());
    Http.Reply other = api.call(HttpMethod.GET, "/services/bsvc", null, asAlpha);
    assertEquals(404, other.status(), other.text());
    assertEquals("no service bsvc", new JsonObject(other.text()).getJsonObject("error").getString("message"));
    Http.Reply otherDelete = api.call(HttpMethod.DELETE, "/services/bsvc", null, asAlpha);
    assertEquals(404, otherDelete.status(), otherDelete.text());
    assertFalse(otherDelete.text().contains(bsvc.getString("id")), otherDelete.text());
    assertEquals(200, api.get("/services/bsvc").status(), "still there");

    // A tenant's stream tokens under its name too.
    Http.Reply streamToken = api.post("/tenants/alpha/stream-tokens", null);
    assertEquals(201, streamToken.status(), streamToken.text());
    assertEquals(alpha.getString("id"), new JsonObject(streamToken.text()).getString("tenant"));
    assertEquals(1, new JsonObject(api.get("/tenants/alpha/stream-tokens").text()).getJsonArray("data").size());
    assertEquals(200, api.call(HttpMethod.GET, "/tenants/alpha/stream-tokens", null, asAlpha).status());
    Http.Reply otherTokens = api.call(HttpMethod.POST, "/tenants/beta/stream-tokens", null, asAlpha);
    assertEquals(404, otherTokens.status(), otherTokens.text());
    assertEquals("no tenant beta", new JsonObject(otherTokens.text()).getJsonObject("error").getString("message"));
    assertEquals(404, api.post("/tenants/nobody/stream-tokens", null).status());
    assertEquals(404, api.post("/tenants/%00/stream-tokens", null).status());

    assertEquals(204, api.delete("/routes/a-route").status());
    assertEquals(404, api.get("/routes/a-route").status());
    assertEquals(404, api.get("/routes/" + route.getString("id")).status());
  }

  @Test
  void ids_that_are_not_uuids_are_404_and_lists_are_paged() {
    assertEquals(404, api.get("/services/not-a-uuid").status());
    assertEquals(404, api.get("/services/00000000-0000-0000-0000-000000000000").status());
    for (String n : List.of("a", "b", "c")) {
      api.create("/tenants", new JsonObject().put("name", n));
    }
    // Four tenants: the default one (made by the schema) and a, b, c.
    JsonObject first = new JsonObject(api.get("/tenants?limit=3").text());
    assertEquals(3, first.getJsonArray("data").size());
    JsonObject second = new JsonObject(api.get(first.getString("next")).text());
    assertEquals(1, second.getJsonArray("data").size());
    assertNull(second.getString("next"));
    assertEquals(400, api.get("/tenants?limit=5000").status());
  }

  @Test
  void plugins_round_trip_with_scope_checks_and_block_deleting_their_route() {
    JsonObject route = new JsonObject(api.get("/routes").text()).getJsonArray("data").getJsonObject(0);
    JsonObject plugin = api.create("/plugins", new JsonObject().put("name", "test-limit").put("scope", "route")
        .put("route", "all").put("config", new JsonObject().put("per_second", 5)));
    assertEquals("all", plugin.getString("route"));
    assertEquals(true, plugin.getBoolean("enabled"));
    assertEquals(5, plugin.getJsonObject("config").getInteger("per_second"));

    Http.Reply bad = api.post("/plugins", new JsonObject().put("name", "Bad_Name").put("scope", "service")
        .put("route", "all").put("config", "x"));
    assertEquals(400, bad.status());
    assertEquals(List.of("config", "name"), fields(bad), "schema errors first; then scope rules");
    Http.Reply scope = api.post("/plugins", new JsonObject().put("name", "test-limit").put("scope", "service")
        .put("route", "all"));
    assertEquals(List.of("route", "service"), fields(scope));
    Http.Reply unknown = api.post("/plugins", new JsonObject().put("name", "no-such-policy").put("scope", "global"));
    assertEquals(400, unknown.status());
    assertEquals(List.of("name"), fields(unknown), "a policy Sluice does not have is refused: " + unknown.text());
    Http.Reply config = api.post("/plugins", new JsonObject().put("name", "test-limit").put("scope", "global")
        .put("config", new JsonObject().put("per_second", 0).put("burst", 3)));
    assertEquals(List.of("config.burst", "config.per_second"), fields(config), "the policy's schema: " + config.text());
    Http.Reply second = api.post("/plugins", new JsonObject().put("name", "test-limit").put("scope", "route")
        .put("route", "all").put("config", new JsonObject().put("per_second", 9)));
    assertEquals(409, second.status(), second.text());
    assertEquals(List.of("name"), fields(second), second.text());
    assertTrue(second.text().contains("one plugin per policy and target"), second.text());
    // An anyOf of the policy's schema (acl: allow or deny) is one requirement, not every field "is required".
    Http.Reply acl = api.post("/plugins", new JsonObject().put("name", "acl").put("scope", "route")
        .put("route", "all").put("config", new JsonObject()));
    assertEquals(400, acl.status(), acl.text());
    assertEquals(List.of("config"), fields(acl), acl.text());
    assertTrue(acl.text().contains("needs one of: allow (not empty), deny (not empty)"), acl.text());

    assertEquals(409, api.delete("/routes/" + route.getString("id")).status());
    String uri = "/plugins/" + plugin.getString("id");
    Http.Reply off = api.patch(uri, new JsonObject().put("enabled", false), 1);
    assertEquals(200, off.status(), off.text());
    assertEquals(false, new JsonObject(off.text()).getBoolean("enabled"));
    assertEquals(204, api.delete(uri).status());
    assertEquals(204, api.delete("/routes/" + route.getString("id")).status());
  }

  @Test
  void the_admin_token_is_required() {
    Http.Reply r = api.http.get(api.node.adminPort(), "/tenants");
    assertEquals(401, r.status());
  }
}
