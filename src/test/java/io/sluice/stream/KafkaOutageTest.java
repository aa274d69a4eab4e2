package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.SharedKafka;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Kafka unreachable: requests are served as ever, records wait in the disk spool and reach the stream
 * once Kafka is back; a node restarted with records in its spool replays them.
 */
@ExtendWith(VertxExtension.class)
class KafkaOutageTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * The broker of this test (not the shared one: it is stopped) is down for 30 s under steady traffic, far
   * past the 1.5 s delivery timeout, so records really go through the spool and stay there a while.
   */
  @Test
  @Timeout(150)
  void broker_down_under_traffic_costs_no_request_and_no_record() throws Exception {
    var broker = SharedKafka.start();
    Vertx vertx = Vertx.vertx();
    StreamEnv env = new StreamEnv(vertx, broker.bootstrap());
    TestNode node = env.node(null, Map.of("SLUICE_KAFKA_DELIVERY_TIMEOUT_MS", "1500"));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    try {
      String token = env.token(node, "acme");
      Thread load = new Thread(() -> {
        while (running.get()) {
          int i = sent.getAndIncrement();
          if (env.request(node, "/a/x", "r" + i) != 200) {
            failed.incrementAndGet();
          }
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      load.start();
      Thread.sleep(1000);
      int port = broker.port();
      int controller = broker.controllerPort();
      Path dir = broker.dataDir();
      broker.close();
      Thread.sleep(30_000);
      assertTrue(node.node().stream().exporter().spooling(), "records went to the spool while Kafka was down");
      Http.Reply health = env.http.get(node.adminPort(), "/health/ready");
      assertEquals(200, health.status(), "a Kafka outage does not make the node unready: " + health.text());
      JsonObject report = new JsonObject(health.text());
      assertEquals("DEGRADED", report.getString("status"), health.text());
      assertEquals("DOWN", report.getJsonObject("checks").getJsonObject("kafka").getString("status"));
      broker = io.sluice.stream.EmbeddedKafka.start(dir, port, controller);
      Thread.sleep(1000);
      running.set(false);
      load.join();
      assertEquals(0, failed.get(), "no request failed because Kafka was down");

      StreamClient client = new StreamClient(vertx);
      StreamClient.Sub sub = client.connect(node.node().streamPort(), "from=earliest", token);
      int total = sent.get();
      Set<String> ids = new HashSet<>();
      for (JsonObject f : sub.records(total, WAIT)) {
        ids.add(f.getJsonObject("record").getString("request_id"));
      }
      sub.close();
      for (int i = 0; i < total; i++) {
        assertTrue(ids.contains("r" + i), "record r" + i + " of " + total + " reached the stream");
      }
    } finally {
      running.set(false);
      node.close();
      env.close();
      broker.close();
      vertx.close().await();
    }
  }

  @Test
  @Timeout(60)
  void a_node_restarted_with_a_full_spool_replays_it(Vertx vertx) throws Exception {
    StreamEnv env = new StreamEnv(vertx);
    Path spool = StreamEnv.tempDir();
    Map<String, String> unreachable = new HashMap<>();
    unreachable.put("SLUICE_KAFKA_BOOTSTRAP", "127.0.0.1:" + EmbeddedKafka.freePort());
    TestNode down = env.node(spool, unreachable);
    try {
      for (int i = 0; i < 30; i++) {
        assertEquals(200, env.request(down, "/a/x", "s" + i));
      }
    } finally {
      down.close();
    }
    TestNode up = env.node(spool, Map.of());
    try {
      StreamClient.Sub sub = new StreamClient(vertx).connect(up.node().streamPort(), "from=earliest",
          env.token(up, "acme"));
      List<JsonObject> frames = sub.records(30, WAIT);
      for (int i = 0; i < 30; i++) {
        assertEquals("s" + i, frames.get(i).getJsonObject("record").getString("request_id"), "in order");
      }
      sub.close();
    } finally {
      up.close();
      env.close();
    }
  }
}
