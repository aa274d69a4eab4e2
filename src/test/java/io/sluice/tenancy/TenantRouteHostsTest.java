package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A route written with a tenant token names its hosts: one without hosts serves every host, other tenants' among
 * them, and would freeze their routes (every route of theirs would take some of its requests). A tenant's change of
 * its own route that serves nothing new is never refused for conflicts that were there before it.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantRouteHostsTest {

  private Gateway gw;
  private String alpha;
  private String beta;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    for (String tenant : List.of("alpha", "beta")) {
      gw.create("/tenants", new JsonObject().put("name", tenant));
      gw.create("/services", new JsonObject().put("name", tenant + "-svc").put("tenant", tenant)
          .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    }
    alpha = token("alpha");
    beta = token("beta");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private String token(String tenant) {
    return gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", tenant)).getString("token");
  }

  private static JsonObject route(String name, String service, List<String> hosts, String... paths) {
    return new JsonObject().put("name", name).put("service", service).put("hosts", new JsonArray(hosts))
        .put("paths", new JsonArray(List.of(paths)));
  }

  private static JsonObject error(Http.Reply r) {
    return new JsonObject(r.text()).getJsonObject("error");
  }

  private static void assertRefused(int status, String code, String field, Http.Reply r) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, error(r).getString("code"), r.text());
    assertEquals(field, error(r).getJsonArray("fields").getJsonObject(0).getString("field"), r.text());
  }

  private Http.Reply patch(String token, JsonObject route, JsonObject change) {
    return gw.adminAs(token, HttpMethod.PATCH, "/routes/" + route.getString("id"), change, "If-Match", "*");
  }

  @Test
  void a_tenant_token_cannot_write_a_route_without_hosts_so_no_tenant_freezes_the_others() {
    // The catch-all that would take every other tenant's unrouted requests (and freeze their routes), and a
    // host-less /b over beta's b.test: each refused, whatever its priority, nothing written.
    JsonObject catchAll = route("a-all", "alpha-svc", List.of(), "/").put("priority", -1000);
    catchAll.remove("hosts");
    assertRefused(400, "invalid", "hosts", gw.adminAs(alpha, HttpMethod.POST, "/routes", catchAll));
    assertRefused(400, "invalid", "hosts", gw.adminAs(alpha, HttpMethod.POST, "/routes",
        route("a-b", "alpha-svc", List.of(), "/b")));
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name in ('a-all', 'a-b')"), "nothing written");

    // Nor can a route of its own lose its hosts later (PUT without them, PATCH to none), nor come by a file.
    Http.Reply created = gw.adminAs(alpha, HttpMethod.POST, "/routes", route("a-own", "alpha-svc",
        List.of("a.test"), "/a"));
    assertEquals(201, created.status(), created.text());
    JsonObject own = new JsonObject(created.text());
    JsonObject replaced = route("a-own", "alpha-svc", List.of(), "/a");
    replaced.remove("hosts");
    assertRefused(400, "invalid", "hosts", gw.adminAs(alpha, HttpMethod.PUT, "/routes/" + own.getString("id"),
        replaced, "If-Match", "*"));
    assertRefused(400, "invalid", "hosts", patch(alpha, own, new JsonObject().putNull("hosts")));
    assertRefused(400, "invalid", "hosts", patch(alpha, own, new JsonObject().put("hosts", new JsonArray())));
    JsonObject file = new JsonObject(gw.adminAs(alpha, HttpMethod.GET, "/config", null, "Accept", "application/json")
        .text());
    file.getJsonArray("routes").add(catchAll);
    int at = file.getJsonArray("routes").size() - 1;
    for (String dry : List.of("?dry_run=true", "")) {
      assertRefused(400, "invalid", "routes[" + at + "].hosts", gw.adminAs(alpha, HttpMethod.PUT, "/config" + dry,
          file));
    }
    assertEquals("[\"a.test\"]", gw.db.queryString("select to_json(hosts)::text from routes where name = 'a-own'"));
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name = 'a-all'"), "nothing applied");

    // So beta writes and changes its routes, and its clients' requests it does not route reach no other tenant.
    Http.Reply b = gw.adminAs(beta, HttpMethod.POST, "/routes", route("b-own", "beta-svc",
        List.of("zzz.beta-own.example"), "=/b/exact").put("methods", new JsonArray().add("GET")));
    assertEquals(201, b.status(), b.text());
    Http.Reply stripped = patch(beta, new JsonObject(b.text()), new JsonObject().put("strip_path", true));
    assertEquals(200, stripped.status(), stripped.text());
    assertEquals(404, gw.get("/b2/secret", "Host", "b.test", "Authorization", "Bearer beta-client").status());

    // An operator still sets routes without hosts (the fallback of every host is the operator's to arrange).
    JsonObject byOperator = route("op-any", "alpha-svc", List.of(), "/op-any");
    byOperator.remove("hosts");
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/routes/" + gw.create("/routes", byOperator).getString("id"),
        null).status());
  }

  @Test
  void a_change_that_serves_nothing_new_is_not_refused_for_conflicts_that_were_there_before() {
    Http.Reply created = gw.adminAs(beta, HttpMethod.POST, "/routes?wait=true", route("b-mine", "beta-svc",
        List.of("b.test"), "/b", "/b-old").put("priority", 10));
    assertEquals(201, created.status(), created.text());
    JsonObject mine = new JsonObject(created.text());
    // beta's own route from before the rule (no hosts), set with an operator token.
    JsonObject legacy = route("b-legacy", "beta-svc", List.of(), "/b-legacy");
    legacy.remove("hosts");
    legacy = gw.create("/routes", legacy);
    // Then an operator gives alpha the fallback of every host: each of beta's routes is in a conflict with it.
    JsonObject catchAll = route("a-fallback", "alpha-svc", List.of(), "/").put("priority", -1000);
    catchAll.remove("hosts");
    String fallback = gw.create("/routes", catchAll).getString("id");
    try {
      // What changes nothing about matching, or narrows it, is beta's to do.
      for (JsonObject change : List.of(new JsonObject().put("strip_path", true),
          new JsonObject().put("preserve_host", true),
          new JsonObject().put("paths", new JsonArray().add("/b")),
          new JsonObject().put("methods", new JsonArray().add("GET").add("POST")),
          new JsonObject().put("headers", new JsonObject().put("x-tier", new JsonArray().add("gold"))),
          new JsonObject().put("priority", 5))) {
        Http.Reply r = patch(beta, mine, change);
        assertEquals(200, r.status(), change + ": " + r.text());
      }
      Http.Reply kept = patch(beta, legacy, new JsonObject().put("strip_path", true));
      assertEquals(200, kept.status(), "its route without hosts, unchanged in what it serves: " + kept.text());
      JsonObject file = new JsonObject(gw.adminAs(beta, HttpMethod.GET, "/config", null, "Accept",
          "application/json").text());
      file.getJsonArray("routes").stream().map(JsonObject.class::cast)
          .filter(r -> List.of("b-mine", "b-legacy").contains(r.getString("name")))
          .forEach(r -> r.put("strip_path", false));
      Http.Reply applied = gw.adminAs(beta, HttpMethod.PUT, "/config", file);
      assertEquals(200, applied.status(), "a file that changes what they serve in nothing: " + applied.text());
      assertEquals(2, new JsonObject(applied.text()).getLong("updated"), applied.text());

      // A new route of beta's, and what serves more, are checked against the fallback as before (another
      // tenant's route without hosts serves every host: its operator gives it hosts, or removes it).
      assertRefused(409, "route_conflict", "paths[0]", gw.adminAs(beta, HttpMethod.POST, "/routes",
          route("b-new", "beta-svc", List.of("b.test"), "/b-new")));
      // A path, a method, a header, a priority or a host more.
      for (JsonObject change : List.of(new JsonObject().put("paths", new JsonArray().add("/b").add("/b2")),
          new JsonObject().putNull("methods"),
          new JsonObject().putNull("headers"),
          new JsonObject().put("priority", 6),
          new JsonObject().put("hosts", new JsonArray().add("b.test").add("b2.test")))) {
        Http.Reply r = patch(beta, mine, change);
        assertEquals(409, r.status(), change + ": " + r.text());
        assertEquals("route_conflict", error(r).getString("code"), r.text());
      }
      JsonObject wider = new JsonObject(gw.adminAs(beta, HttpMethod.GET, "/config", null, "Accept",
          "application/json").text());
      JsonArray routes = wider.getJsonArray("routes");
      int i = routes.stream().map(r -> ((JsonObject) r).getString("name")).toList().indexOf("b-mine");
      routes.getJsonObject(i).getJsonArray("paths").add("/b3");
      assertRefused(409, "route_conflict", "routes[" + i + "].paths[0]", gw.adminAs(beta, HttpMethod.PUT, "/config",
          wider));
      assertEquals("[\"/b\"]", gw.db.queryString("select to_json(paths)::text from routes where name = 'b-mine'"));
    } finally {
      assertEquals(204, gw.admin(HttpMethod.DELETE, "/routes/" + fallback, null).status());
    }
  }
}
