package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the admin API checks of a request before it acts on it, each refusal naming what it refuses. */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminRequestChecksTest {

  private Gateway gw;
  private String acme;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    acme = new JsonObject(gw.admin(HttpMethod.GET, "/tenants", null).text()).getJsonArray("data")
        .getJsonObject(0).getString("id");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private static List<String> fields(Http.Reply r) {
    List<String> names = new ArrayList<>();
    JsonArray fields = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
    fields.forEach(f -> names.add(((JsonObject) f).getString("field")));
    return names;
  }

  /** A POST with the operator token and this Content-Type. */
  private Http.Reply post(String uri, JsonObject body, String contentType) {
    return gw.http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(gw.node().adminPort()).setURI(uri).putHeader("Authorization", "Bearer " + Gateway.TOKEN)
        .putHeader("Content-Type", contentType), Buffer.buffer(body.encode()));
  }

  /** POST /tenants/{id}/stream-tokens takes no body, {} or its own tenant, as POST /consumers/{id}/keys does. */
  @Test
  void a_stream_token_body_it_does_not_take_is_refused_and_no_token_made() {
    String uri = "/tenants/" + acme + "/stream-tokens";
    String other = gw.create("/tenants", new JsonObject().put("name", "other-tenant")).getString("id");
    int before = new JsonObject(gw.admin(HttpMethod.GET, uri, null).text()).getJsonArray("data").size();

    Http.Reply notJson = gw.admin(HttpMethod.POST, uri, "{not json");
    assertEquals(400, notJson.status(), notJson.text());
    assertEquals(List.of("(body)"), fields(notJson));
    Http.Reply otherTenant = gw.admin(HttpMethod.POST, uri, new JsonObject().put("tenant", other));
    assertEquals(400, otherTenant.status(), otherTenant.text());
    assertEquals(List.of("tenant"), fields(otherTenant));
    Http.Reply own = gw.admin(HttpMethod.POST, uri, new JsonObject().put("token", "st_mine").put("scope", "all"));
    assertEquals(400, own.status(), own.text());
    assertEquals(List.of("token", "scope"), fields(own));
    Http.Reply array = gw.admin(HttpMethod.POST, uri, "[]");
    assertEquals(400, array.status(), array.text());
    assertEquals(before, new JsonObject(gw.admin(HttpMethod.GET, uri, null).text()).getJsonArray("data").size(),
        "no token made");

    assertEquals(201, gw.admin(HttpMethod.POST, uri, null).status(), "no body");
    assertEquals(201, gw.admin(HttpMethod.POST, uri, new JsonObject()).status(), "{}");
    Http.Reply named = gw.admin(HttpMethod.POST, uri, new JsonObject().put("tenant", acme));
    assertEquals(201, named.status(), named.text());
    assertTrue(new JsonObject(named.text()).getString("token").startsWith("st_"), named.text());
  }

  /** Every other /services/{id} path takes an id: so does the health report (by name as before). */
  @Test
  void a_service_health_report_is_read_by_id_as_by_name() {
    String id = null;
    for (Object o : new JsonObject(gw.admin(HttpMethod.GET, "/services?tenant=acme", null).text()).getJsonArray("data")) {
      if (((JsonObject) o).getString("name").equals("svc")) {
        id = ((JsonObject) o).getString("id");
      }
    }
    Http.Reply byName = gw.admin(HttpMethod.GET, "/services/svc/health", null);
    assertEquals(200, byName.status(), byName.text());
    Http.Reply byId = gw.admin(HttpMethod.GET, "/services/" + id + "/health", null);
    assertEquals(200, byId.status(), byId.text());
    assertEquals(new JsonObject(byName.text()).getString("service"), new JsonObject(byId.text()).getString("service"));
    assertEquals(new JsonObject(byName.text()).getJsonArray("targets").size(),
        new JsonObject(byId.text()).getJsonArray("targets").size());
    Http.Reply unknown = gw.admin(HttpMethod.GET, "/services/" + java.util.UUID.randomUUID() + "/health", null);
    assertEquals(404, unknown.status(), unknown.text());
  }

  /** A number is read exactly: one that underflows a double (1e-400) is a fraction, not the integer 0. */
  @Test
  void a_number_that_underflows_a_double_is_refused_not_stored_as_zero() {
    for (String priority : List.of("1e-400", "-1e-400", "1e400", "1.0000000000000000000001")) {
      Http.Reply r = gw.admin(HttpMethod.POST, "/routes",
          "{\"name\": \"under\", \"service\": \"svc\", \"paths\": [\"/under\"], \"priority\": " + priority + "}");
      assertEquals(400, r.status(), priority + ": " + r.text());
      assertEquals(java.util.Set.of("priority"), new java.util.HashSet<>(fields(r)), priority);
      assertTrue(r.text().contains("integer") || r.text().contains("maximum"), r.text());
    }
    Http.Reply whole = gw.admin(HttpMethod.POST, "/routes",
        "{\"name\": \"whole\", \"service\": \"svc\", \"paths\": [\"/whole\"], \"priority\": 1e2}");
    assertEquals(201, whole.status(), whole.text());
    assertEquals(100, new JsonObject(whole.text()).getValue("priority"), "a whole-number float is its integer");
  }

  /** Every body is read as UTF-8: one that says another charset is 415 naming it, never read as what it is not. */
  @Test
  void a_body_in_another_charset_than_utf8_is_refused_naming_it() {
    for (String type : List.of("application/json; charset=latin1", "application/json;charset=\"ISO-8859-1\"",
        "application/json; charset=utf-16", "application/json; charset=nonsense")) {
      Http.Reply r = post("/tenants", new JsonObject().put("name", "caf\u00e9"), type);
      assertEquals(415, r.status(), type + ": " + r.text());
      String charset = type.substring(type.indexOf("charset=") + 8).replace("\"", "");
      assertTrue(new JsonObject(r.text()).getJsonObject("error").getString("message").contains("'" + charset + "'"),
          r.text());
    }
    for (String type : List.of("application/json; charset=utf-8", "application/json; charset=UTF-8",
        "application/json;charset=\"utf-8\"", "application/json")) {
      Http.Reply r = post("/tenants", new JsonObject().put("name", "t-" + Integer.toHexString(type.hashCode())), type);
      assertEquals(201, r.status(), type + ": " + r.text());
    }
  }
}
