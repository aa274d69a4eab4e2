package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Ports;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process as {@code make run} starts it, with nothing but PostgreSQL around: no kafka.bootstrap, so it
 * starts its own broker; a request's record reaches a subscriber; SIGTERM still drains and exits 0.
 */
@ExtendWith(VertxExtension.class)
class StreamProcessTest {

  @TempDir
  Path dir;

  @Test
  @Timeout(120)
  void a_node_without_kafka_settings_runs_its_own_broker_and_streams(Vertx vertx) throws Exception {
    try (TestDatabase db = TestDatabase.migrated(); var backend = io.sluice.testing.Backend.named(vertx, "ok")) {
      int proxy = Ports.free();
      int admin = Ports.free();
      int stream = Ports.free();
      Path routes = Files.writeString(dir.resolve("routes.yaml"), "format_version: 1\nservices:\n"
          + "  - {name: s, tenant: acme, targets: [{address: \"127.0.0.1:" + backend.port() + "\"}]}\n"
          + "routes:\n  - {name: r, service: s}\n");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
          "io.sluice.Sluice", "run")).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
      pb.environment().put("SLUICE_CONFIG", Files.writeString(dir.resolve("empty.yaml"), "{}\n").toString());
      pb.environment().put("SLUICE_ROUTES_FILE", routes.toString());
      pb.environment().put("SLUICE_PG_URL", db.url());
      pb.environment().put("SLUICE_PROXY_HOST", "127.0.0.1");
      pb.environment().put("SLUICE_PROXY_PORT", "" + proxy);
      pb.environment().put("SLUICE_PROXY_INSTANCES", "1");
      pb.environment().put("SLUICE_ADMIN_PORT", "" + admin);
      pb.environment().put("SLUICE_PROXY_TLS_PORT", "0");
      pb.environment().put("SLUICE_STREAM_PORT", "" + stream);
      pb.environment().put("SLUICE_KAFKA_EMBEDDED_PORT", "0");
      pb.environment().put("SLUICE_KAFKA_DATA_DIR", dir.resolve("kafka").toString());
      pb.environment().put("SLUICE_SPOOL_DIR", dir.resolve("spool").toString());
      pb.environment().put("SLUICE_PROXY_DRAIN_TIMEOUT_MS", "2000");
      pb.environment().put("SLUICE_LOG_FORMAT", "text");
      Process p = pb.start();
      try {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        int ready = 0;
        for (int i = 0; i < 300 && ready != 200 && p.isAlive(); i++) {
          try {
            ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/health/ready")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
          } catch (IOException notYet) {
            Thread.sleep(200);
          }
        }
        assertEquals(200, ready, output());
        String tenants = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/tenants")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        // The tenant of the routes file (V6 creates a "default" tenant first).
        String tenantId = new JsonObject(tenants).getJsonArray("data").stream().map(JsonObject.class::cast)
            .filter(t -> "acme".equals(t.getString("name"))).findFirst().orElseThrow().getString("id");
        String token = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin
                + "/tenants/" + tenantId + "/stream-tokens")).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString()).body()).getString("token");
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy + "/hello"))
            .header("X-Request-Id", "proc-1").build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        StreamClient.Sub sub = new StreamClient(vertx).connect(stream, "from=earliest", token);
        JsonObject rec = sub.records(1, Duration.ofSeconds(30)).get(0).getJsonObject("record");
        assertEquals("proc-1", rec.getString("request_id"));
        assertEquals("acme", rec.getString("tenant"));
        sub.close();
      } finally {
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the node exits after draining");
      }
      assertEquals(0, p.exitValue(), output());
      assertTrue(output().contains("in-process Kafka broker"), output());
    }
  }

  private String output() throws IOException {
    return Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
  }
}
