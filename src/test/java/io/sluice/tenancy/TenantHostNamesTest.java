package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
 * A tenant holds the names of its route hosts and SNIs with the names under them: another tenant's token may not
 * write an SNI or a route host equal to one, under one ({@code api.b.test}, {@code *.b.test}) or over one
 * ({@code *.test}), so it neither gets the clients of the holder's subdomains nor freezes the holder out of them.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantHostNamesTest {

  private static final TestCa CA = new TestCa("Host Names Test CA");

  private Gateway gw;
  private String alpha;
  private String beta;
  private String alphaCertificate;
  private String betaCertificate;

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
    alphaCertificate = certificate(alpha, "a.test");
    betaCertificate = certificate(beta, "b.test");
    // beta owns b.test: a route host of its own and an SNI of its certificate.
    assertEquals(201, post(beta, "/routes", route("b-root", "beta-svc", "b.test")).status());
    assertEquals(201, post(beta, "/snis", sni("b.test", betaCertificate)).status());
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

  private static void assertRefused(String code, String field, Http.Reply r) {
    assertEquals(409, r.status(), r.text());
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals(code, error.getString("code"), r.text());
    assertEquals(field, error.getJsonArray("fields").getJsonObject(0).getString("field"), r.text());
    assertFalse(r.text().contains("alpha") || r.text().contains("beta") || r.text().contains("b-root"),
        "the other tenant is not named: " + r.text());
  }

  @Test
  void a_tenant_writes_no_sni_nor_route_host_equal_to_under_or_over_a_name_another_tenant_holds() {
    // On or under b.test: its clients (b.test, api.b.test, x.api.b.test) would get alpha's certificate or alpha's
    // routes. The SNI b.test itself too, though SNI names are unique: sni_conflict, as the name's unique index (a plain
    // conflict) would otherwise answer first.
    for (String name : List.of("b.test", "*.b.test", "api.b.test", "x.api.b.test", "*.API.b.test")) {
      assertRefused("sni_conflict", "name", post(alpha, "/snis", sni(name, alphaCertificate)));
    }
    String own = new JsonObject(post(alpha, "/snis", sni("own.a.test", alphaCertificate)).text()).getString("id");
    assertRefused("sni_conflict", "name", gw.adminAs(alpha, HttpMethod.PATCH, "/snis/" + own,
        new JsonObject().put("name", "b.test"), "If-Match", "*"));
    Http.Reply again = post(alpha, "/snis", sni("own.a.test", alphaCertificate));
    assertEquals(409, again.status(), again.text());
    assertEquals("conflict", new JsonObject(again.text()).getJsonObject("error").getString("code"), "its own name");
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/snis/" + own, null).status());
    for (String host : List.of("*.b.test", "api.b.test", "B.test")) {
      assertRefused("route_conflict", "hosts[1]", post(alpha, "/routes", route("a-grab", "alpha-svc", "a.test", host)));
    }
    // Over b.test: alpha would hold the names under it, and beta could add none of its own.
    assertRefused("sni_conflict", "name", post(alpha, "/snis", sni("*.test", alphaCertificate)));
    for (String host : List.of("*.test", "test")) {
      assertRefused("route_conflict", "hosts[0]", post(alpha, "/routes", route("a-over", "alpha-svc", host)));
    }
    JsonObject file = new JsonObject(gw.adminAs(alpha, HttpMethod.GET, "/config", null, "Accept", "application/json")
        .text());
    file.getJsonArray("routes").add(route("a-file", "alpha-svc", "a.test", "a2.test", "*.b.test"));
    int at = file.getJsonArray("routes").size() - 1;
    for (String dry : List.of("?dry_run=true", "")) {
      assertRefused("route_conflict", "routes[" + at + "].hosts[2]", gw.adminAs(alpha, HttpMethod.PUT, "/config" + dry,
          file));
    }
    assertEquals(0, gw.db.queryLong("select count(*) from snis where certificate_id = '" + alphaCertificate + "'"
        + " and (name like '%b.test' or name = '*.test')"), "nothing written");
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name like 'a-%'"), "nothing written");

    // Names beside b.test are alpha's to take, and the names under b.test beta's.
    for (String name : List.of("a.test", "*.a.test", "ab.test", "b.test.example")) {
      Http.Reply r = post(alpha, "/snis", sni(name, alphaCertificate));
      assertEquals(201, r.status(), name + ": " + r.text());
    }
    assertEquals(201, post(alpha, "/routes", route("a-own", "alpha-svc", "ab.test", "*.a.test")).status());
    assertEquals(201, post(beta, "/routes", route("b-api", "beta-svc", "api.b.test", "*.b.test")).status());
    assertEquals(201, post(beta, "/snis", sni("*.b.test", betaCertificate)).status());
    // ... and now that alpha holds a.test, beta may not write under it either.
    assertRefused("route_conflict", "hosts[0]", post(beta, "/routes", route("b-on-a", "beta-svc", "x.a.test")));
  }

  @Test
  void the_operators_names_hold_nothing_and_an_sni_that_keeps_its_name_is_not_checked_again() {
    // A certificate of no tenant (the operator's) serves every tenant: its SNIs hold no name.
    TestCa.Issued cert = CA.leaf("shared.test");
    String shared = gw.create("/certificates", new JsonObject().put("cert", cert.certPem()).put("key", cert.keyPem()))
        .getString("id");
    gw.create("/snis", sni("*.shared.test", shared));
    assertEquals(201, post(alpha, "/snis", sni("alpha.shared.test", alphaCertificate)).status());

    // An operator arranges names as it sees fit: alpha gets *.c.test over beta's c.test. beta's SNI and route of
    // c.test, which meet it, still change as long as they serve nothing more.
    Http.Reply betaSni = post(beta, "/snis", sni("c.test", betaCertificate));
    assertEquals(201, betaSni.status(), betaSni.text());
    Http.Reply betaRoute = post(beta, "/routes", route("b-c", "beta-svc", "c.test"));
    assertEquals(201, betaRoute.status(), betaRoute.text());
    String overlap = gw.create("/snis", sni("*.c.test", alphaCertificate)).getString("id");
    try {
      String second = certificate(beta, "c.test");
      Http.Reply moved = gw.adminAs(beta, HttpMethod.PATCH, "/snis/" + new JsonObject(betaSni.text()).getString("id"),
          new JsonObject().put("certificate", second), "If-Match", "*");
      assertEquals(200, moved.status(), "the same name on another certificate of beta's: " + moved.text());
      Http.Reply stripped = gw.adminAs(beta, HttpMethod.PATCH, "/routes/" + new JsonObject(betaRoute.text())
          .getString("id"), new JsonObject().put("strip_path", true), "If-Match", "*");
      assertEquals(200, stripped.status(), stripped.text());
      // A name it did not have is checked: the operator's arrangement holds until the operator changes it.
      assertEquals(409, post(beta, "/snis", sni("api.c.test", second)).status());
    } finally {
      assertEquals(204, gw.admin(HttpMethod.DELETE, "/snis/" + overlap, null).status());
    }
  }
}
