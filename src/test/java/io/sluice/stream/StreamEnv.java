package io.sluice.stream;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.SharedKafka;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A stream test's world: a migrated database, a backend, two tenants (acme behind /a, globex behind /b),
 * a topic of the test's own on a real broker, and nodes exporting to it with the stream listener on.
 */
final class StreamEnv implements AutoCloseable {

  static final String ADMIN_TOKEN = "test-admin-token";

  final Vertx vertx;
  final TestDatabase db;
  final Backend backend;
  final Http http;
  final String bootstrap;
  final String topic = "access-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  final String routes;

  StreamEnv(Vertx vertx, String bootstrap) {
    this.vertx = vertx;
    this.bootstrap = bootstrap;
    db = TestDatabase.migrated();
    backend = Backend.named(vertx, "ok");
    http = new Http(vertx);
    routes = """
        format_version: 1
        services:
          - name: svc-a
            tenant: acme
            targets: [{address: "127.0.0.1:%1$d"}]
          - name: svc-b
            tenant: globex
            targets: [{address: "127.0.0.1:%1$d"}]
        routes:
          - {name: ra, service: svc-a, paths: ["/a"]}
          - {name: rb, service: svc-b, paths: ["/b"]}
        """.formatted(backend.port());
  }

  StreamEnv(Vertx vertx) {
    this(vertx, SharedKafka.bootstrap());
  }

  /** A node exporting to this test's topic, with its own spool directory (or the given one). */
  TestNode node(Path spool, Map<String, String> extra) {
    return node(routes, spool, extra);
  }

  /** The same with routes of the test's own. */
  TestNode node(String routes, Path spool, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("SLUICE_PG_URL", db.url());
    env.put("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("SLUICE_KEYS_HMAC_SECRET", "test-hmac-secret");
    env.put("SLUICE_STREAM_ENABLED", "true");
    env.put("SLUICE_STREAM_CURSOR_SECRET", "test-cursor-secret");
    env.put("SLUICE_KAFKA_BOOTSTRAP", bootstrap);
    env.put("SLUICE_KAFKA_TOPIC", topic);
    env.put("SLUICE_KAFKA_PARTITIONS", "4");
    env.put("SLUICE_SPOOL_DIR", (spool != null ? spool : tempDir()).toString());
    env.putAll(extra);
    return TestNode.start(routes, env);
  }

  TestNode node() {
    return node(null, Map.of());
  }

  static Path tempDir() {
    try {
      Path d = Files.createTempDirectory("sluice-spool");
      d.toFile().deleteOnExit();
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new stream token of a tenant, through the admin API of {@code node}. */
  String token(TestNode node, String tenant) {
    Http.Reply list = admin(node, HttpMethod.GET, "/tenants?limit=1000", null);
    String id = null;
    for (Object o : new JsonObject(list.text()).getJsonArray("data")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("name").equals(tenant)) {
        id = t.getString("id");
      }
    }
    Http.Reply created = admin(node, HttpMethod.POST, "/tenants/" + id + "/stream-tokens", "{}");
    if (created.status() != 201) {
      throw new AssertionError(created.status() + " " + created.text());
    }
    return new JsonObject(created.text()).getString("token");
  }

  Http.Reply admin(TestNode node, HttpMethod method, String uri, String body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + ADMIN_TOKEN);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    return http.call(o, body == null ? null : Buffer.buffer(body));
  }

  /** A counter of {@code node}'s /metrics (0 when absent). */
  double metric(TestNode node, String name) {
    return metric(admin(node, HttpMethod.GET, "/metrics", null).text(), name);
  }

  /** A counter of a /metrics page (0 when absent). */
  static double metric(String page, String name) {
    for (String line : page.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  /** One proxied request with a request id of the test's choosing (records carry it as request_id). */
  int request(TestNode node, String path, String requestId) {
    return http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI(path)
        .putHeader("X-Request-Id", requestId)).status();
  }

  @Override
  public void close() {
    backend.close();
    db.close();
  }
}
