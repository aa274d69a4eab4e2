package io.sluice.admin;

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
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A list's {@code ?tenant=} names a tenant by its name as written or by its id in any case; one that names no
 * tenant is 400 naming {@code tenant} (as a write naming it is), never an empty page a script would read as "this
 * tenant has none". A name that differs from a tenant's only by case is pointed to. With a tenant token, another
 * tenant is answered exactly as one that does not exist.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListTenantFilterTest {

  private Gateway gw;
  private String alphaId;
  private String alphaToken;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    alphaId = gw.create("/tenants", new JsonObject().put("name", "alpha")).getString("id");
    gw.create("/tenants", new JsonObject().put("name", "omega"));
    gw.create("/services", new JsonObject().put("name", "asvc").put("tenant", "alpha")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:1"))));
    alphaToken = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "alpha"))
        .getString("token");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private static List<String> names(Http.Reply r) {
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text()).getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("name"))
        .toList();
  }

  private static String refusal(Http.Reply r) {
    assertEquals(400, r.status(), r.text());
    JsonObject field = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("tenant", field.getString("field"), r.text());
    return field.getString("reason");
  }

  @Test
  void a_tenant_is_named_by_its_name_or_its_id_in_any_case() {
    for (String t : List.of("alpha", alphaId, alphaId.toUpperCase(Locale.ROOT))) {
      assertEquals(List.of("asvc"), names(gw.admin(HttpMethod.GET, "/services?tenant=" + t, null)), t);
      assertEquals(List.of("asvc"), names(gw.adminAs(alphaToken, HttpMethod.GET, "/services?tenant=" + t, null)), t);
    }
    assertEquals(List.of(), names(gw.admin(HttpMethod.GET, "/routes?tenant=omega", null)), "a tenant with none");
  }

  @Test
  void a_filter_that_names_no_tenant_is_400_naming_tenant_and_a_name_in_another_case_is_pointed_to() {
    for (String resource : List.of("/services", "/routes", "/consumers", "/plugins", "/certificates", "/snis")) {
      String unknown = refusal(gw.admin(HttpMethod.GET, resource + "?tenant=nobody", null));
      assertTrue(unknown.contains("no tenant 'nobody'"), resource + ": " + unknown);
      String upper = refusal(gw.admin(HttpMethod.GET, resource + "?tenant=ALPHA", null));
      assertTrue(upper.contains("no tenant 'ALPHA'") && upper.contains("did you mean 'alpha'"), upper);
    }
  }

  @Test
  void with_a_tenant_token_another_tenant_is_answered_as_one_that_does_not_exist() {
    Http.Reply other = gw.adminAs(alphaToken, HttpMethod.GET, "/services?tenant=omega", null);
    Http.Reply none = gw.adminAs(alphaToken, HttpMethod.GET, "/services?tenant=nobody", null);
    assertEquals(refusal(none).replace("nobody", "omega"), refusal(other), "no difference to tell them apart");
    assertTrue(refusal(gw.adminAs(alphaToken, HttpMethod.GET, "/services?tenant=Alpha", null))
        .contains("did you mean 'alpha'"));
  }
}
