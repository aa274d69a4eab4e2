package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Host names assigned to two tenants at once, one on, under or over the other, which the admin API and a file refuse
 * but psql writes: the export names both tenants (409 stored_config_invalid) instead of writing a file PUT /config
 * refuses, and neither tenant gets a new route host on the shared names until an operator takes it from one.
 */
@ExtendWith(VertxExtension.class)
class TenantHostOverlapsTest {

  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    for (String tenant : List.of("alpha", "beta")) {
      gw.create("/tenants", new JsonObject().put("name", tenant));
      gw.create("/services", new JsonObject().put("name", tenant + "-svc").put("tenant", tenant)
          .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    }
    gw.db.transaction("update tenants set hosts = '{alpha.test, a.test}' where name = 'alpha'",
        "update tenants set hosts = '{*.a.test}' where name = 'beta'");
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  private Http.Reply route(String name, String service, String host) {
    return gw.admin(HttpMethod.POST, "/routes", new JsonObject().put("name", name).put("service", service)
        .put("hosts", new JsonArray().add(host)).put("paths", new JsonArray().add("/" + name)));
  }

  @Test
  void the_export_names_both_tenants_of_a_name_assigned_twice() {
    Http.Reply export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(409, export.status(), export.text());
    JsonObject error = new JsonObject(export.text()).getJsonObject("error");
    assertEquals("stored_config_invalid", error.getString("code"));
    List<JsonObject> fields = error.getJsonArray("fields").stream().map(JsonObject.class::cast).toList();
    assertTrue(fields.stream().anyMatch(f -> f.getString("entity").equals("tenant")
        && f.getString("name").equals("alpha") && f.getString("field").equals("tenants[0].hosts[1]")
        && f.getString("reason").contains("'*.a.test', assigned to tenant 'beta'")), export.text());
    assertTrue(fields.stream().anyMatch(f -> f.getString("entity").equals("tenant")
        && f.getString("name").equals("beta") && f.getString("field").equals("tenants[1].hosts[0]")
        && f.getString("reason").contains("'a.test', assigned to tenant 'alpha'")), export.text());
    assertEquals(2, fields.size(), "alpha.test is alpha's alone: " + export.text());

    gw.db.transaction("update tenants set hosts = '{}' where name = 'beta'");
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").status());
  }

  @Test
  void neither_tenant_gets_a_route_host_on_the_shared_names_until_one_gives_it_up() {
    assertEquals(409, route("a1", "alpha-svc", "x.a.test").status(), "beta is assigned *.a.test");
    assertEquals(409, route("b1", "beta-svc", "x.a.test").status(), "alpha is assigned a.test and what is under it");
    assertEquals(201, route("a2", "alpha-svc", "alpha.test").status(), "alpha's own name");
    String betaId = gw.db.queryString("select id::text from tenants where name = 'beta'");
    Http.Reply given = gw.admin(HttpMethod.PATCH, "/tenants/" + betaId, new JsonObject().put("hosts", new JsonArray()
        .add("b.test")), "If-Match", "*");
    assertEquals(200, given.status(), "the operator takes the shared name from beta: " + given.text());
    assertEquals(201, route("a1", "alpha-svc", "x.a.test").status());
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").status());
  }
}
