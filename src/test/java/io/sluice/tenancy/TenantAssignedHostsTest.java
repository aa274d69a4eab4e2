package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
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
 * An operator assigns host names to a tenant (tenants.hosts): the tenant's route hosts and SNIs lie on or under them,
 * nobody else's do, and the tenant's routes on them are not held back by the operator's routes without hosts.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantAssignedHostsTest {

  private static final TestCa CA = new TestCa("Assigned Hosts Test CA");

  private Gateway gw;
  private String alphaId;
  private String alpha;
  private String beta;
  private String alphaCertificate;
  private String betaCertificate;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    for (String tenant : List.of("alpha", "beta", "gamma")) {
      gw.create("/tenants", new JsonObject().put("name", tenant));
      gw.create("/services", new JsonObject().put("name", tenant + "-svc").put("tenant", tenant)
          .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    }
    alpha = token("alpha");
    beta = token("beta");
    alphaCertificate = certificate(alpha, "a.test");
    betaCertificate = certificate(beta, "b.test");
    alphaId = gw.db.queryString("select id::text from tenants where name = 'alpha'");
    Http.Reply assigned = assign(alphaId, "a.test", "*.Alpha.example");
    assertEquals(200, assigned.status(), assigned.text());
    assertEquals(new JsonArray().add("a.test").add("*.alpha.example"), new JsonObject(assigned.text())
        .getJsonArray("hosts"), "stored in lower case");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private String token(String tenant) {
    return gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", tenant)).getString("token");
  }

  private String certificate(String token, String name) {
    TestCa.Issued cert = CA.leaf(name);
    Http.Reply r = post(token, "/certificates", new JsonObject().put("cert", cert.certPem()).put("key", cert.keyPem()));
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text()).getString("id");
  }

  private Http.Reply assign(String tenantId, String... hosts) {
    return gw.admin(HttpMethod.PATCH, "/tenants/" + tenantId, new JsonObject().put("hosts",
        new JsonArray(List.of(hosts))), "If-Match", "*");
  }

  private Http.Reply post(String token, String uri, JsonObject body) {
    return gw.adminAs(token, HttpMethod.POST, uri, body);
  }

  private static JsonObject route(String name, String service, String... hosts) {
    return new JsonObject().put("name", name).put("service", service).put("hosts", new JsonArray(List.of(hosts)))
        .put("paths", new JsonArray().add("/" + name));
  }

  private static JsonObject sni(String name, String certificate) {
    return new JsonObject().put("name", name).put("certificate", certificate);
  }

  private static void assertRefused(int status, String code, String field, Http.Reply r) {
    assertEquals(status, r.status(), r.text());
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals(code, error.getString("code"), r.text());
    assertEquals(field, error.getJsonArray("fields").getJsonObject(0).getString("field"), r.text());
  }

  private static void assertOtherNotNamed(Http.Reply r) {
    assertFalse(r.text().contains("alpha"), "the other tenant is not named: " + r.text());
  }

  @Test
  void only_an_operator_assigns_host_names() {
    String betaId = gw.db.queryString("select id::text from tenants where name = 'beta'");
    Http.Reply r = gw.adminAs(beta, HttpMethod.PATCH, "/tenants/" + betaId,
        new JsonObject().put("hosts", new JsonArray().add("b.test")), "If-Match", "*");
    assertEquals(403, r.status(), r.text());
    assertEquals("hosts", new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0)
        .getString("field"), r.text());
    assertEquals("[]", gw.db.queryString("select to_json(hosts)::text from tenants where name = 'beta'"));
    // A tenant reads its own assignment.
    JsonObject own = new JsonObject(gw.adminAs(alpha, HttpMethod.GET, "/tenants/" + alphaId, null).text());
    assertEquals(new JsonArray().add("a.test").add("*.alpha.example"), own.getJsonArray("hosts"));
    assertRefused(400, "invalid", "hosts[0]", assign(betaId, "10.0.0.1"));
    assertRefused(400, "invalid", "hosts[1]", assign(betaId, "b.test", "B.test"));
  }

  @Test
  void a_tenants_route_hosts_and_snis_lie_within_its_assigned_names() {
    assertRefused(400, "invalid", "hosts[1]", post(alpha, "/routes", route("a-out", "alpha-svc", "a.test", "x.test")));
    assertRefused(400, "invalid", "name", post(alpha, "/snis", sni("x.test", alphaCertificate)));
    // The operator writing alpha's entities is held to the same.
    assertRefused(400, "invalid", "hosts[0]", gw.admin(HttpMethod.POST, "/routes", route("a-op", "alpha-svc",
        "x.test")));
    for (String host : List.of("a.test", "api.a.test", "*.a.test", "alpha.example", "www.alpha.example")) {
      Http.Reply r = post(alpha, "/routes", route("a-in-" + host.replace("*", "any"), "alpha-svc", host));
      assertEquals(201, r.status(), host + ": " + r.text());
    }
    assertEquals(201, post(alpha, "/snis", sni("*.a.test", alphaCertificate)).status());
  }

  @Test
  void names_on_under_or_over_another_tenants_assigned_names_are_refused_to_everyone_else() {
    for (String host : List.of("a.test", "api.a.test", "*.alpha.example", "test")) {
      Http.Reply r = post(beta, "/routes", route("b-grab", "beta-svc", "b.test", host));
      assertRefused(409, "route_conflict", "hosts[1]", r);
      assertOtherNotNamed(r);
      Http.Reply s = post(beta, "/snis", sni(host, betaCertificate));
      assertRefused(409, "sni_conflict", "name", s);
      assertOtherNotNamed(s);
    }
    // An operator writing another tenant's route too.
    assertRefused(409, "route_conflict", "hosts[0]", gw.admin(HttpMethod.POST, "/routes",
        route("g-grab", "gamma-svc", "x.alpha.example")));
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name in ('b-grab', 'g-grab')"));
  }

  @Test
  void a_service_or_certificate_moved_to_another_tenant_takes_its_names_along_and_is_checked() {
    String service = gw.create("/services", new JsonObject().put("name", "a-move").put("tenant", "alpha")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))))
        .getString("id");
    assertEquals(201, post(alpha, "/routes", route("a-moving", "a-move", "move.a.test")).status());
    Http.Reply moved = gw.admin(HttpMethod.PATCH, "/services/" + service, new JsonObject().put("tenant", "gamma"),
        "If-Match", "*");
    assertRefused(409, "route_conflict", "tenant", moved);
    TestCa.Issued cert = CA.leaf("cert.a.test");
    Http.Reply created = post(alpha, "/certificates", new JsonObject().put("cert", cert.certPem())
        .put("key", cert.keyPem()));
    String certificate = new JsonObject(created.text()).getString("id");
    assertEquals(201, post(alpha, "/snis", sni("cert.a.test", certificate)).status());
    assertRefused(409, "sni_conflict", "tenant", gw.admin(HttpMethod.PATCH, "/certificates/" + certificate,
        new JsonObject().put("tenant", "gamma").put("key", cert.keyPem()), "If-Match", "*"));
    assertEquals("alpha", gw.db.queryString("select t.name from services s join tenants t on t.id = s.tenant_id"
        + " where s.name = 'a-move'"));
  }

  @Test
  void assigning_a_name_another_tenant_holds_or_is_assigned_is_a_conflict() {
    assertEquals(201, post(beta, "/routes", route("b-held", "beta-svc", "held.test")).status());
    String gammaId = gw.db.queryString("select id::text from tenants where name = 'gamma'");
    assertRefused(409, "host_conflict", "hosts[1]", assign(gammaId, "g.test", "api.held.test"));
    assertRefused(409, "host_conflict", "hosts[0]", assign(gammaId, "*.a.test"));
    Http.Reply created = gw.admin(HttpMethod.POST, "/tenants", new JsonObject().put("name", "delta")
        .put("hosts", new JsonArray().add("alpha.example")));
    assertRefused(409, "host_conflict", "hosts[0]", created);
    assertOtherNotNamed(created);
    assertEquals(0, gw.db.queryLong("select count(*) from tenants where name = 'delta'"), "nothing written");
    assertEquals("[]", gw.db.queryString("select to_json(hosts)::text from tenants where name = 'gamma'"));
  }

  @Test
  void an_assigned_tenants_route_is_not_held_back_by_an_operators_route_without_hosts() {
    // The operator's catch-all (of the default tenant) serves every host.
    gw.create("/services", new JsonObject().put("name", "op-svc")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    JsonObject all = gw.create("/routes", new JsonObject().put("name", "op-all").put("service", "op-svc")
        .put("paths", new JsonArray().add("/")));
    try {
      // beta has no names assigned: held back as before.
      assertRefused(409, "route_conflict", "paths[0]", post(beta, "/routes", route("b-under-all", "beta-svc",
          "b.test")));
      Http.Reply r = post(alpha, "/routes", new JsonObject().put("name", "a-shop").put("service", "alpha-svc")
          .put("hosts", new JsonArray().add("shop.a.test")).put("paths", new JsonArray().add("/shop")));
      assertEquals(201, r.status(), r.text());
      Http.Reply served = gw.get("/shop/cart", "Host", "shop.a.test");
      assertEquals(200, served.status(), served.text());
      assertEquals("/shop/cart", gw.last().uri());
      // Narrowed and widened back again.
      String id = new JsonObject(r.text()).getString("id");
      for (JsonArray paths : List.of(new JsonArray().add("/shop/cart"), new JsonArray().add("/shop").add("/pay"))) {
        Http.Reply changed = gw.adminAs(alpha, HttpMethod.PATCH, "/routes/" + id, new JsonObject().put("paths", paths),
            "If-Match", "*");
        assertEquals(200, changed.status(), changed.text());
      }
      // A host outside the assignment is not the tenant's alone: checked as before (and refused as outside).
      assertTrue(gw.adminAs(alpha, HttpMethod.PATCH, "/routes/" + id, new JsonObject().put("hosts",
          new JsonArray().add("shop.a.test").add("other.test")), "If-Match", "*").status() >= 400);
    } finally {
      assertEquals(204, gw.admin(HttpMethod.DELETE, "/routes/" + all.getString("id"), null).status());
    }
  }
}
