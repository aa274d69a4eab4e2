package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every read of the admin API takes only its own query parameters, as writes do: an unknown one (a Kong filter such
 * as custom_id), one given empty or twice is 400 naming it, instead of a list of everything or of nothing that a
 * script would act on. The parameters each read does take keep working.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryParamsTest {

  private Gateway gw;
  private String consumer;
  private String tenant;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    consumer = gw.consumer("alice").getString("id");
    tenant = new JsonObject(gw.admin(HttpMethod.GET, "/tenants", null).text()).getJsonArray("data")
        .getJsonObject(0).getString("id");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  /** The fields of a 400, with the reason of the first; fails on any other status. */
  private JsonArray refused(HttpMethod method, String uri) {
    Http.Reply r = gw.admin(method, uri, method == HttpMethod.GET ? null : new JsonObject());
    assertEquals(400, r.status(), method + " " + uri + ": " + r.text());
    return new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
  }

  private static List<String> names(JsonArray fields) {
    List<String> names = new ArrayList<>();
    fields.forEach(f -> names.add(((JsonObject) f).getString("field")));
    return names;
  }

  @Test
  void a_filter_the_list_does_not_have_is_refused_naming_it_instead_of_listing_everything() {
    JsonArray customId = refused(HttpMethod.GET, "/consumers?custom_id=nonexistent");
    assertEquals(List.of("custom_id"), names(customId));
    assertTrue(customId.getJsonObject(0).getString("reason").contains("it takes cursor, limit, tenant"),
        customId.encode());
    assertEquals(List.of("name"), names(refused(HttpMethod.GET, "/routes?name=nothing")));
    assertEquals(List.of("tenant[]"), names(refused(HttpMethod.GET, "/routes?tenant[]=acme")));
    assertEquals(List.of("tenant"), names(refused(HttpMethod.GET, "/tenants?tenant=acme")), "tenants have no tenant");
    assertEquals(List.of("size"), names(refused(HttpMethod.GET, "/services?size=10")));
    assertEquals(List.of("entity"), names(refused(HttpMethod.GET, "/admin-tokens?entity=route")));
    // Every other kind of read too: an entity, credentials, stream tokens, history, export, cluster, logging.
    for (String uri : List.of("/consumers/" + consumer + "?x=1", "/consumers/" + consumer + "/keys?username=a",
        "/consumers/" + consumer + "/jwt?issuer=a", "/tenants/" + tenant + "/stream-tokens?token=a",
        "/config/history?route=api", "/config/history/1?x=1", "/config?format=json", "/cluster?wait=true",
        "/cluster/sync?version=0&node=a", "/logging?x=1", "/logging/io.sluice?x=1", "/tracing?x=1",
        "/openapi.yaml?x=1", "/services/svc/health?x=1")) {
      JsonArray f = refused(HttpMethod.GET, uri);
      assertEquals(1, f.size(), uri + ": " + f.encode());
      assertTrue(f.getJsonObject(0).getString("reason").startsWith("is not a parameter of GET "), f.encode());
    }
  }

  @Test
  void an_empty_or_repeated_parameter_is_refused_naming_it() {
    JsonArray empty = refused(HttpMethod.GET, "/routes?tenant=");
    assertEquals(List.of("tenant"), names(empty));
    assertTrue(empty.getJsonObject(0).getString("reason").startsWith("is empty"), empty.encode());
    JsonArray twice = refused(HttpMethod.GET, "/routes?limit=1&limit=2");
    assertEquals(List.of("limit"), names(twice));
    assertTrue(twice.getJsonObject(0).getString("reason").contains("2 times"), twice.encode());
    assertEquals(List.of("since"), names(refused(HttpMethod.GET, "/config/history?since=")));
    assertEquals(List.of("version"), names(refused(HttpMethod.GET, "/config?version=1&version=2")));
    // Writes alike: one value must not silently win over another.
    assertEquals(List.of("wait"), names(refused(HttpMethod.POST, "/tenants?wait=true&wait=false")));
    assertEquals(List.of("timeout"), names(refused(HttpMethod.POST, "/tenants?wait=true&timeout=")));
  }

  @Test
  void the_parameters_each_read_takes_still_work_and_unknown_paths_stay_404() {
    String keys = "/consumers/" + consumer + "/keys";
    for (String uri : List.of("/routes?tenant=acme&limit=10", "/consumers?tenant=acme", "/tenants?limit=1",
        "/services?cursor=" + cursorOf("/services?limit=1"), "/plugins?limit=5", "/certificates?tenant=acme",
        "/snis?limit=2", "/admin-tokens?limit=1", keys + "?limit=1", "/consumers/" + consumer + "/jwt?limit=1",
        "/tenants/" + tenant + "/stream-tokens?limit=1",
        "/config/history?entity=route&tenant=acme&limit=1&since=0&until=100000", "/config?version=1",
        "/cluster/sync?version=0&timeout=1s", "/metrics?name[]=anything")) {
      Http.Reply r = gw.admin(HttpMethod.GET, uri, null);
      assertEquals(200, r.status(), uri + ": " + r.text());
    }
    assertEquals(List.of("offset"), names(refused(HttpMethod.GET, "/routes?offset=100")), "still pointed to cursor");
    assertEquals(404, gw.admin(HttpMethod.GET, "/nowhere?x=1", null).status());
    assertEquals(405, gw.admin(HttpMethod.GET, "/config/rollback?to=1", null).status());
  }

  @Test
  void the_public_paths_and_metrics_refuse_parameters_they_do_not_take() {
    int port = gw.node().adminPort();
    for (String uri : List.of("/version?x=1", "/health/live?x=1", "/health/ready?verbose=1", "/health/ready?verbose=")) {
      Http.Reply r = gw.http.get(port, uri); // no token: a probe's request
      assertEquals(400, r.status(), uri + ": " + r.text());
      JsonObject field = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
      assertTrue(field.getString("reason").startsWith("is not a parameter of GET "), uri + ": " + field);
      Http.Reply head = gw.http.call(new RequestOptions().setMethod(HttpMethod.HEAD).setHost("127.0.0.1")
          .setPort(port).setURI(uri));
      assertEquals(400, head.status(), "HEAD " + uri);
    }
    for (String uri : List.of("/version", "/health/live", "/health/ready")) {
      assertEquals(200, gw.http.get(port, uri).status(), uri + " as the probes ask for it");
    }
    assertEquals(List.of("x"), names(refused(HttpMethod.GET, "/metrics?x=1")));
    assertEquals(200, gw.admin(HttpMethod.GET, "/metrics?name[]=a&name[]=b", null).status(),
        "name[] as a Prometheus scrape configuration repeats it");
  }

  /**
   * name[] selects families as Prometheus names them: the family, or one of its samples (_total, _bucket); a name of
   * nothing selects nothing. It was accepted and ignored: every scrape got the whole exposition.
   */
  @Test
  void metrics_name_selects_only_the_families_named() {
    Set<String> all = families(gw.admin(HttpMethod.GET, "/metrics", null).text());
    String counter = all.stream().filter(n -> n.startsWith("sluice_") && n.endsWith("_total")).findFirst().orElseThrow();
    assertTrue(all.size() > 50 && all.contains("sluice_build_info"), "" + all);
    assertEquals(Set.of("sluice_build_info"),
        families(gw.admin(HttpMethod.GET, "/metrics?name[]=sluice_build_info", null).text()));
    assertEquals(Set.of("sluice_build_info", counter), families(gw.admin(HttpMethod.GET,
        "/metrics?name[]=" + counter + "&name[]=sluice_build_info", null).text()));
    String family = counter.substring(0, counter.length() - "_total".length());
    assertEquals(Set.of(counter), families(gw.admin(HttpMethod.GET, "/metrics?name[]=" + family, null).text()),
        "the family's own name");
    Http.Reply none = gw.admin(HttpMethod.GET, "/metrics?name[]=nonexistent", null);
    assertEquals(200, none.status());
    assertEquals(Set.of(), families(none.text()));
  }

  /** The sample names of a Prometheus text exposition. */
  private static Set<String> families(String exposition) {
    Set<String> names = new java.util.TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int end = line.indexOf('{');
        names.add(line.substring(0, end > 0 ? end : line.indexOf(' ')));
      }
    }
    return names;
  }

  /** The cursor of the page after the first of {@code uri} (which must have one). */
  private String cursorOf(String uri) {
    String next = new JsonObject(gw.admin(HttpMethod.GET, uri, null).text()).getString("next");
    if (next == null) {
      gw.create("/services", new JsonObject().put("name", "svc2").put("tenant", "acme")
          .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9"))));
      next = new JsonObject(gw.admin(HttpMethod.GET, uri, null).text()).getString("next");
    }
    return next.substring(next.indexOf("cursor=") + 7, next.indexOf('&'));
  }
}
