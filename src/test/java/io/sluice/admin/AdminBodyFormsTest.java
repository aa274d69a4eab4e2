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
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The forms an admin body is held to: its media type, a target's address, how many paths and hosts a route has. */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminBodyFormsTest {

  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
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

  private Http.Reply send(HttpMethod method, String uri, String body, String contentType, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(gw.node().adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + Gateway.TOKEN).putHeader("Content-Type", contentType);
    for (int i = 0; i < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    return gw.http.call(o, Buffer.buffer(body));
  }

  private static String service(String name, String address) {
    return new JsonObject().put("name", name).put("targets", new JsonArray().add(new JsonObject()
        .put("address", address))).encode();
  }

  /** An address is host:port: a '@' (userinfo) made a target DNS could never resolve, warned about forever. */
  @Test
  void a_target_address_that_is_no_host_and_port_is_400_naming_it_in_the_api_and_a_file() {
    for (String bad : List.of("a@127.0.0.1:80", "user@h:80", "a%b:80", "a..b:80", "-a:80", ".a:80", "a?b:80",
        "http://a@b:80", "999.1.1.1:80", "1.2.3:80", "[::g]:80")) {
      Http.Reply api = gw.admin(HttpMethod.POST, "/services", service("bad-address", bad));
      assertEquals(400, api.status(), bad + ": " + api.text());
      assertEquals(List.of("targets[0].address"), fields(api), bad);
      Http.Reply file = send(HttpMethod.PUT, "/config?dry_run=true", "format_version: 1\nservices:\n"
          + "  - {name: bad-address, targets: [{address: \"" + bad + "\"}]}\n", "application/yaml");
      assertEquals(400, file.status(), bad + ": " + file.text());
      assertEquals(List.of("services[0].targets[0].address"), fields(file), bad);
    }
    int n = 0;
    for (String good : List.of("127.0.0.1:80", "h:1", "orders.internal.example:8080", "orders.internal.:8080",
        "my_service:80", "[::1]:8080", "[2001:db8::5]:80", "https://a.example:443", "h2c://b:80",
        "srv://_http._tcp.billing.example", "k8s://orders.shop:http")) {
      Http.Reply r = gw.admin(HttpMethod.POST, "/services", service("good-address-" + n++, good));
      assertEquals(201, r.status(), good + ": " + r.text());
    }
  }

  /** JSON, a PATCH's merge patch too; never another +json type, nor a charset said twice. */
  @Test
  void a_body_is_json_or_a_patchs_merge_patch_and_says_one_charset() {
    String tenant = new JsonObject().put("name", "forms").encode();
    for (String type : List.of("application/json-patch+json", "application/merge-patch+json",
        "application/vnd.sluice+json", "application/json; charset=utf-8; charset=latin1",
        "application/json; charset=utf-8; charset=utf-8")) {
      Http.Reply r = send(HttpMethod.POST, "/tenants", tenant, type);
      assertEquals(415, r.status(), type + ": " + r.text());
    }
    assertEquals(404, gw.admin(HttpMethod.GET, "/tenants/forms", null).status(), "nothing written");
    assertEquals(201, send(HttpMethod.POST, "/tenants", tenant, "application/json; charset=utf-8").status());

    String patch = new JsonObject().put("name", "forms-2").encode();
    Http.Reply jsonPatch = send(HttpMethod.PATCH, "/tenants/forms", "[{\"op\": \"replace\", \"path\": \"/name\","
        + " \"value\": \"forms-2\"}]", "application/json-patch+json", "If-Match", "*");
    assertEquals(415, jsonPatch.status(), jsonPatch.text());
    Http.Reply merge = send(HttpMethod.PATCH, "/tenants/forms", patch, "application/merge-patch+json", "If-Match", "*");
    assertEquals(200, merge.status(), merge.text());
    Http.Reply twice = send(HttpMethod.PATCH, "/tenants/forms-2", patch, "application/merge-patch+json; charset=utf-8;"
        + " charset=latin1", "If-Match", "*");
    assertEquals(415, twice.status(), twice.text());
    assertTrue(twice.text().contains("latin1"), twice.text());
  }

  /** At most 100 paths and 100 hosts per route, as a tenant's hosts and a consumer's groups: 20,000 were taken. */
  @Test
  void a_route_has_at_most_100_paths_and_100_hosts_in_the_api_and_a_file() {
    JsonArray paths = new JsonArray(new ArrayList<>(IntStream.range(0, 101).mapToObj(i -> "/p" + i).toList()));
    JsonArray hosts = new JsonArray(new ArrayList<>(IntStream.range(0, 101).mapToObj(i -> "h" + i + ".test").toList()));
    JsonObject route = new JsonObject().put("name", "wide").put("service", "svc");
    Http.Reply manyPaths = gw.admin(HttpMethod.POST, "/routes", route.copy().put("paths", paths));
    assertEquals(400, manyPaths.status(), manyPaths.text());
    assertEquals(List.of("paths"), fields(manyPaths));
    Http.Reply manyHosts = gw.admin(HttpMethod.POST, "/routes", route.copy().put("hosts", hosts));
    assertEquals(400, manyHosts.status(), manyHosts.text());
    assertEquals(List.of("hosts"), fields(manyHosts));
    JsonObject file = new JsonObject(gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").text());
    file.getJsonArray("routes").add(route.copy().put("paths", paths));
    Http.Reply inFile = send(HttpMethod.PUT, "/config?dry_run=true", file.encode(), "application/json");
    assertEquals(400, inFile.status(), inFile.text());
    assertEquals(List.of("routes[" + (file.getJsonArray("routes").size() - 1) + "].paths"), fields(inFile));

    paths.remove(100);
    hosts.remove(100);
    Http.Reply hundred = gw.admin(HttpMethod.POST, "/routes", route.copy().put("paths", paths).put("hosts", hosts));
    assertEquals(201, hundred.status(), hundred.text());
  }
}
