package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tenant names have one form: NFKC, no white space around, unique whatever their case, through the admin API, a
 * PUT /config file and psql alike ('beta', 'Beta', 'beta ' and a full-width 'ｂｅｔａ' cannot name four tenants).
 */
@ExtendWith(VertxExtension.class)
class TenantNameFormTest {

  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: echo
            targets: [{address: "127.0.0.1:9"}]
        routes:
          - {name: first, service: echo, paths: ["/first"]}
        """);
    api.create("/tenants", new JsonObject().put("name", "beta"));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private static JsonObject error(Http.Reply r, int status) {
    assertEquals(status, r.status(), r.text());
    return new JsonObject(r.text()).getJsonObject("error");
  }

  @Test
  void the_api_refuses_a_name_out_of_form_or_differing_only_by_case() {
    assertEquals("conflict", error(api.post("/tenants", new JsonObject().put("name", "Beta")), 409).getString("code"));
    JsonObject spaced = error(api.post("/tenants", new JsonObject().put("name", "beta ")), 400);
    assertEquals("name", spaced.getJsonArray("fields").getJsonObject(0).getString("field"), spaced.encode());
    assertTrue(spaced.getJsonArray("fields").getJsonObject(0).getString("reason").contains("white space"));
    JsonObject wide = error(api.post("/tenants", new JsonObject().put("name", "ｂｅｔａ")), 400);
    assertTrue(wide.getJsonArray("fields").getJsonObject(0).getString("reason").contains("NFKC form (write 'beta')"),
        wide.encode());
    assertEquals(1, api.db.queryLong("select count(*) from tenants where lower(name) like '%beta%'"));
  }

  @Test
  void a_config_file_naming_a_tenant_out_of_form_is_400_naming_the_field() {
    JsonObject file = new JsonObject().put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", "echo").put("tenant", " gamma")
            .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9")))))
        .put("routes", new JsonArray());
    JsonObject e = error(api.call(io.vertx.core.http.HttpMethod.PUT, "/config", file, Map.of()), 400);
    assertEquals("services[0].tenant", e.getJsonArray("fields").getJsonObject(0).getString("field"), e.encode());
  }

  @Test
  void psql_writes_obey_the_same_rules() {
    for (String name : new String[] {"BETA", "ｂｅｔａ", "beta\t"}) {
      assertThrows(IllegalStateException.class,
          () -> api.db.transaction("insert into tenants (name) values ('" + name + "')"), name);
    }
    api.db.transaction("insert into tenants (name) values ('gamma')");
  }
}
