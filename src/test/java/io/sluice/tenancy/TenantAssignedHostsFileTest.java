package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The host names assigned to tenants in the declarative file: {@code tenants} exports them, applying it sets them
 * (held to the same rules as the admin API), a tenant token's file may not carry them, and a row written with psql
 * is held to their form.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantAssignedHostsFileTest {

  private Gateway gw;
  private String alpha;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    for (String tenant : List.of("alpha", "beta")) {
      gw.create("/tenants", new JsonObject().put("name", tenant));
      gw.create("/services", new JsonObject().put("name", tenant + "-svc").put("tenant", tenant)
          .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    }
    alpha = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "alpha"))
        .getString("token");
    String id = gw.db.queryString("select id::text from tenants where name = 'alpha'");
    Http.Reply r = gw.admin(HttpMethod.PATCH, "/tenants/" + id, new JsonObject().put("hosts",
        new JsonArray().add("a.test").add("*.alpha.example")), "If-Match", "*");
    assertEquals(200, r.status(), r.text());
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private JsonObject export() {
    Http.Reply r = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private String hosts(String tenant) {
    return gw.db.queryString("select to_json(hosts)::text from tenants where name = '" + tenant + "'");
  }

  private static void assertRefused(int status, String code, String field, Http.Reply r) {
    assertEquals(status, r.status(), r.text());
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals(code, error.getString("code"), r.text());
    assertEquals(field, error.getJsonArray("fields").getJsonObject(0).getString("field"), r.text());
  }

  @Test
  void an_export_applied_again_keeps_the_assigned_names() {
    JsonObject file = export();
    assertEquals(new JsonArray().add(new JsonObject().put("name", "alpha").put("hosts", new JsonArray()
        .add("a.test").add("*.alpha.example"))), file.getJsonArray("tenants"), file.encode());
    JsonObject cleared = file.copy().put("tenants", new JsonArray());
    Http.Reply r = gw.admin(HttpMethod.PUT, "/config", cleared);
    assertEquals(200, r.status(), r.text());
    assertEquals("[]", hosts("alpha"), "a tenant the list leaves out has no names assigned");
    r = gw.admin(HttpMethod.PUT, "/config", file);
    assertEquals(200, r.status(), r.text());
    assertEquals("[\"a.test\",\"*.alpha.example\"]", hosts("alpha"));
    // Without the key, the file leaves the names alone; the same export again changes nothing.
    JsonObject without = file.copy();
    without.remove("tenants");
    assertEquals(200, gw.admin(HttpMethod.PUT, "/config", without).status());
    assertEquals("[\"a.test\",\"*.alpha.example\"]", hosts("alpha"));
    assertEquals(file, export());
  }

  @Test
  void a_rollback_restores_the_assigned_names_of_its_version() {
    long assigned = gw.db.configVersion();
    String id = gw.db.queryString("select id::text from tenants where name = 'alpha'");
    Http.Reply r = gw.admin(HttpMethod.PATCH, "/tenants/" + id, new JsonObject().put("hosts", new JsonArray()
        .add("moved.test")), "If-Match", "*");
    assertEquals(200, r.status(), r.text());
    JsonObject then = new JsonObject(gw.admin(HttpMethod.GET, "/config?version=" + assigned, null, "Accept",
        "application/json").text());
    assertEquals("[\"a.test\",\"*.alpha.example\"]", then.getJsonArray("tenants").getJsonObject(0)
        .getJsonArray("hosts").encode());
    r = gw.admin(HttpMethod.POST, "/config/rollback?to=" + assigned, null);
    assertEquals(200, r.status(), r.text());
    assertEquals("[\"a.test\",\"*.alpha.example\"]", hosts("alpha"));
  }

  @Test
  void a_file_is_held_to_the_assigned_names() {
    JsonObject file = export();
    // Assigning beta a name under alpha's: a conflict naming the field, nothing applied.
    JsonObject grab = file.copy();
    grab.getJsonArray("tenants").add(new JsonObject().put("name", "beta").put("hosts", new JsonArray()
        .add("b.test").add("api.a.test")));
    assertRefused(409, "host_conflict", "tenants[1].hosts[1]", gw.admin(HttpMethod.PUT, "/config", grab));
    assertEquals("[]", hosts("beta"));
    // An operator's file giving beta a route under alpha's names, or alpha a route outside them.
    JsonObject routed = file.copy();
    routed.getJsonArray("routes").add(new JsonObject().put("name", "b-grab").put("service", "beta-svc")
        .put("hosts", new JsonArray().add("x.alpha.example")).put("paths", new JsonArray().add("/x")));
    int at = routed.getJsonArray("routes").size() - 1;
    assertRefused(409, "route_conflict", "routes[" + at + "].hosts[0]", gw.admin(HttpMethod.PUT, "/config", routed));
    routed.getJsonArray("routes").getJsonObject(at).put("service", "alpha-svc")
        .put("hosts", new JsonArray().add("elsewhere.test"));
    assertRefused(400, "invalid", "routes[" + at + "].hosts[0]", gw.admin(HttpMethod.PUT, "/config?dry_run=true",
        routed));
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name = 'b-grab'"));
    // Moving alpha's service, with its route on alpha's name, to beta.
    gw.create("/routes", new JsonObject().put("name", "a-home").put("service", "alpha-svc")
        .put("hosts", new JsonArray().add("a.test")).put("paths", new JsonArray().add("/home")));
    JsonObject moved = export();
    moved.getJsonArray("services").stream().map(JsonObject.class::cast)
        .filter(sv -> sv.getString("name").equals("alpha-svc")).forEach(sv -> sv.put("tenant", "beta"));
    int home = moved.getJsonArray("routes").stream().map(x -> ((JsonObject) x).getString("name")).toList()
        .indexOf("a-home");
    assertRefused(409, "route_conflict", "routes[" + home + "].hosts[0]", gw.admin(HttpMethod.PUT, "/config", moved));
  }

  @Test
  void a_tenant_tokens_file_carries_no_assigned_names() {
    Http.Reply own = gw.adminAs(alpha, HttpMethod.GET, "/config", null, "Accept", "application/json");
    JsonObject file = new JsonObject(own.text());
    assertNull(file.getValue("tenants"), "a tenant's part: " + own.text());
    file.put("tenants", new JsonArray().add(new JsonObject().put("name", "alpha").put("hosts",
        new JsonArray().add("more.test"))));
    assertRefused(400, "invalid", "tenants", gw.adminAs(alpha, HttpMethod.PUT, "/config", file));
    assertEquals("[\"a.test\",\"*.alpha.example\"]", hosts("alpha"));
  }

  @Test
  void a_row_written_with_psql_is_held_to_the_form_of_the_names() {
    Exception refused = assertThrows(Exception.class, () -> gw.db.transaction(
        "update tenants set hosts = '{Bad_Name,1.2.3.4}' where name = 'beta'"));
    assertTrue(refused.getMessage().contains("tenants.hosts[0]"), refused.getMessage());
    assertEquals("[]", hosts("beta"));
    // The node and later changes go on.
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null).status());
  }
}
