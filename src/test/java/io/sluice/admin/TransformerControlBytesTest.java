package io.sluice.admin;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A transformer row written with psql whose header value holds a control character (other than a tab) is refused
 * by its policy's schema like any invalid stored row (reported, its route closed), instead of being applied and
 * failing every request of its route with a 500; a tab is a header value's own and is applied.
 */
@ExtendWith(VertxExtension.class)
class TransformerControlBytesTest {

  private Backend backend;
  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response().end("backend " + req.getHeader("X-A")));
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: echo
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: first, service: echo, paths: ["/first"]}
        """.formatted(backend.port()));
  }

  @AfterEach
  void stop() {
    api.close();
    backend.close();
  }

  private void awaitApplied() {
    long version = api.db.configVersion();
    eventually("version " + version + " applied", () -> api.node.node().appliedVersion() >= version);
  }

  @Test
  void a_stored_transformer_header_value_with_a_control_byte_is_a_rejected_row_not_a_500() {
    for (String name : new String[] {"request-transformer", "response-transformer"}) {
      api.db.transaction("insert into plugins (name, scope, route_id, config) select '" + name + "', 'route', id,"
          + " '{\"add\": {\"headers\": {\"X-A\": \"a\\u0001b\"}}}' from routes where name = 'first'");
      awaitApplied();
      Http.Reply r = api.http.get(api.node.proxyPort(), "/first/x");
      assertEquals(503, r.status(), name + ": the route is closed, not answered 500: " + r.text());
      JsonObject reported = new JsonObject(api.get("/cluster").text()).getJsonObject("self")
          .getJsonArray("rejected").getJsonObject(0);
      assertEquals("plugin", reported.getString("type"), reported.encode());
      assertTrue(reported.getString("reason").startsWith("config.add.headers.X-A"), reported.encode());
      assertTrue(Pattern.compile("(?m)^sluice_config_rejected_entities\\{type=\"plugin\",?\\} 1(\\.0)?$")
          .matcher(api.get("/metrics").text()).find(), "counted among the rejected rows");

      api.db.transaction("update plugins set config = '{\"add\": {\"headers\": {\"X-A\": \"a\\tb\"}}}'");
      awaitApplied();
      assertTrue(api.node.node().rejected().isEmpty(), name + ": a tab is a header value's own");
      assertEquals(200, api.http.get(api.node.proxyPort(), "/first/x").status(), name);
      api.db.transaction("delete from plugins");
      awaitApplied();
    }
  }
}
