package io.sluice.ops;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Http;
import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/** /health/ready lists the dependencies without turning a store outage into not-ready; log levels at runtime. */
@ExtendWith(VertxExtension.class)
class HealthAndLogLevelsTest {

  @Test
  void a_store_outage_shows_in_health_but_the_node_stays_ready_and_serving(Vertx vertx) throws Exception {
    Http http = new Http(vertx);
    Backend backend = Backend.start(vertx, req -> req.response().end("ok"));
    TestDatabase db = TestDatabase.create();
    TcpProxy pg = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    String url = "postgresql://" + TestDatabase.USER + "@127.0.0.1:" + pg.port() + "/" + db.name();
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), Map.of("SLUICE_PG_URL", url))) {
      JsonObject up = ready(http, node, 200);
      assertEquals("UP", up.getString("status"), up.encode());
      JsonObject store = up.getJsonObject("checks").getJsonObject("store");
      assertEquals("UP", store.getString("status"));
      assertFalse(store.getBoolean("critical"));
      assertEquals(db.configVersion(), store.getLong("applied_version"));
      assertEquals("UP", up.getJsonObject("checks").getJsonObject("routes").getString("status"));
      for (String dependency : java.util.List.of("cluster", "redis", "kafka")) {
        JsonObject check = up.getJsonObject("checks").getJsonObject(dependency);
        assertEquals("UP", check.getString("status"), dependency + ": " + up.encode());
        assertFalse(check.getBoolean("critical"), dependency);
      }
      assertTrue(up.getJsonObject("checks").getJsonObject("routes").getBoolean("critical"));

      pg.close();
      JsonObject[] last = {null};
      // The store check notices a dead PostgreSQL through the sync session's heartbeat: seconds, not millis.
      eventually("ready reports DEGRADED", Duration.ofSeconds(30),
          () -> "DEGRADED".equals((last[0] = ready(http, node, 200)).getString("status")));
      JsonObject degraded = last[0];
      JsonObject down = degraded.getJsonObject("checks").getJsonObject("store");
      assertEquals("DOWN", down.getString("status"));
      assertTrue(down.getString("reason").contains("PostgreSQL"), down.encode());
      assertTrue(down.getLong("seconds_since_reachable") >= 0, down.encode());
      assertEquals(200, http.get(node.proxyPort(), "/x").status(), "still serving its applied configuration");
    } finally {
      backend.close();
      db.close();
    }
  }

  private static JsonObject ready(Http http, TestNode node, int expected) {
    Http.Reply r = http.get(node.adminPort(), "/health/ready");
    assertEquals(expected, r.status(), r.text());
    return new JsonObject(r.text());
  }

  /** File mode (no database): /cluster says where the configuration comes from, in the cluster's shape. */
  @Test
  void cluster_in_file_mode_names_the_file_as_the_source_and_lists_the_node_like_a_cluster_does(Vertx vertx) {
    Http http = new Http(vertx);
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9))) {
      Http.Reply r = http.get(node.adminPort(), "/cluster");
      assertEquals(200, r.status(), r.text());
      JsonObject cluster = new JsonObject(r.text());
      JsonObject self = cluster.getJsonObject("self");
      assertEquals("file", self.getString("config_source"), r.text());
      JsonObject only = cluster.getJsonArray("nodes").getJsonObject(0);
      assertEquals(self.getString("node_id"), only.getString("id"), r.text());
      assertEquals(true, only.getBoolean("self"), r.text());
      assertEquals(self.getLong("applied_version"), only.getLong("applied_version"), r.text());
    }
  }

  @Test
  void a_log_level_is_set_listed_and_returned_to_inherit_at_runtime(Vertx vertx) {
    Http http = new Http(vertx);
    org.slf4j.Logger probe = LoggerFactory.getLogger("io.sluice.ops.probe");
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9))) {
      assertFalse(probe.isDebugEnabled());
      JsonObject set = new JsonObject(put(http, node, "/logging/io.sluice.ops.probe", "{\"level\":\"DEBUG\"}", 200));
      assertEquals("debug", set.getString("level"));
      assertEquals("debug", set.getString("effective"));
      assertTrue(probe.isDebugEnabled(), "the logger really logs at debug now");
      JsonObject levels = new JsonObject(http.call(admin(node, HttpMethod.GET, "/logging")).text())
          .getJsonObject("levels");
      assertEquals("debug", levels.getString("io.sluice.ops.probe"));

      JsonObject back = new JsonObject(put(http, node, "/logging/io.sluice.ops.probe", "{\"level\":null}", 200));
      assertNull(back.getString("level"));
      assertFalse(probe.isDebugEnabled());
    }
  }

  @Test
  void at_debug_a_failed_request_logs_a_json_line_with_its_request_id(Vertx vertx) {
    Http http = new Http(vertx);
    try (CapturedLogs captured = CapturedLogs.of(null, "io.sluice.proxy.Exchange");
        TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9))) {
      assertEquals(502, http.get(node.proxyPort(), "/quiet").status());
      assertTrue(captured.events().isEmpty(), "nothing is logged per request at info");

      put(http, node, "/logging/io.sluice.proxy", "{\"level\":\"debug\"}", 200);
      Http.Reply failed = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort())
          .setURI("/loud").putHeader("X-Request-Id", "req-42"));
      assertTrue(failed.status() == 502 || failed.status() == 503, "refused connect, or the breaker open after it");
      net.logstash.logback.encoder.LogstashEncoder json = new net.logstash.logback.encoder.LogstashEncoder();
      json.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
      json.start();
      String line = captured.events().stream().map(e -> new String(json.encode(e), java.nio.charset.StandardCharsets.UTF_8))
          .filter(l -> l.contains("answered with an error")).findFirst().orElseThrow(() ->
              new AssertionError("no debug line: " + captured.events()));
      JsonObject event = new JsonObject(line);
      assertEquals("req-42", event.getString("request_id"), line);
      assertEquals("all", event.getString("route"), line);
      assertEquals(failed.status(), event.getInteger("status"), line);
      assertTrue(event.containsKey("target"), line);
      if (failed.status() == 502) {
        assertEquals("127.0.0.1:9", event.getString("target"), line);
      }
      put(http, node, "/logging/io.sluice.proxy", "{\"level\":null}", 200);
    }
  }

  @Test
  void bad_log_level_requests_name_the_field(Vertx vertx) {
    Http http = new Http(vertx);
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9))) {
      assertField(put(http, node, "/logging/io.sluice", "{\"level\":\"loud\"}", 400), "level", "loud");
      assertField(put(http, node, "/logging/io.sluice", "{}", 400), "level", "required");
      assertField(put(http, node, "/logging/io.sluice", "{\"level\":\"info\",\"x\":1}", 400), "x", "unknown");
      assertField(put(http, node, "/logging/ROOT", "{\"level\":null}", 400), "level", "root");
      assertField(put(http, node, "/logging/bad%20name", "{\"level\":\"info\"}", 400), "logger", "logger name");
      assertField(put(http, node, "/logging/io.sluice", "not json", 400), "(body)", "JSON");
    }
  }

  private static void assertField(String body, String field, String reasonPart) {
    JsonObject f = new JsonObject(body).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals(field, f.getString("field"), body);
    assertTrue(f.getString("reason").toLowerCase().contains(reasonPart.toLowerCase()), body);
  }

  private static RequestOptions admin(TestNode node, HttpMethod method, String uri) {
    return new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.adminPort()).setURI(uri);
  }

  private static String put(Http http, TestNode node, String uri, String body, int expected) {
    Http.Reply r = http.call(admin(node, HttpMethod.PUT, uri).putHeader("Content-Type", "application/json"),
        Buffer.buffer(body));
    assertEquals(expected, r.status(), r.text());
    return r.text();
  }
}
