package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sluice.testing.Eventually.eventually;

import io.sluice.testing.Ports;
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
   * The broker of this test (not the shared one: it is stopped) is down for 8 s under steady traffic, five times
   * the 1.5 s delivery timeout, so records really go through the spool and stay there a while (StreamCrashTest
   * freezes a broker for 30 s).
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
      int beforeOutage = sent.get();
      broker.close();
      Thread.sleep(8_000);
      assertTrue(node.node().stream().exporter().spooling(), "records went to the spool while Kafka was down");
      Http.Reply health = env.http.get(node.adminPort(), "/health/ready");
      assertEquals(200, health.status(), "a Kafka outage does not make the node unready: " + health.text());
      JsonObject report = new JsonObject(health.text());
      assertEquals("DEGRADED", report.getString("status"), health.text());
      assertEquals("DOWN", report.getJsonObject("checks").getJsonObject("kafka").getString("status"));
      int duringOutage = sent.get() - beforeOutage; // made while the broker was down: every record of them waited
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
      // records.spooled counts them all, those written before the exporter saw the failure (1.5 s of them) too:
      // it counted only those written after, and missed the outage's first kafka.delivery_timeout_ms.
      TestNode n = node;
      eventually("records.spooled counts every record made while the broker was down (" + duringOutage + ")",
          () -> n.node().registry().counter("sluice.stream.records.spooled").count() >= duringOutage);
      assertTrue(n.node().registry().counter("sluice.stream.records.spooled").count() <= total);
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
    unreachable.put("SLUICE_KAFKA_BOOTSTRAP", "127.0.0.1:" + Ports.free());
    TestNode down = env.node(spool, unreachable);
    try {
      for (int i = 0; i < 30; i++) {
        assertEquals(200, env.request(down, "/a/x", "s" + i));
      }
      // What the SluiceSpoolGrowing alert reads: records wait unacknowledged and the export says it is stalled.
      eventually("the 30 records wait in the spool, the export stalled", () ->
          gauge(down, "sluice.stream.spool.pending.bytes") > 0 && gauge(down, "sluice.stream.export.stalled") == 1);
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
      // Acknowledged: nothing pending and not stalled, though the segment (spool_bytes) still holds the frames.
      eventually("the replayed records are acknowledged", () ->
          gauge(up, "sluice.stream.spool.pending.bytes") == 0 && gauge(up, "sluice.stream.export.stalled") == 0);
      assertEquals(30.0, up.node().registry().counter("sluice.stream.records.spooled").count(),
          "the records that waited through the restart, counted once as Kafka took them");
      assertTrue(gauge(up, "sluice.stream.spool.bytes") > 0, "the acknowledged frames stay until their segment is freed,"
          + " which is why the alert does not read spool_bytes");
    } finally {
      up.close();
      env.close();
    }
  }

  /**
   * Kafka unreachable and a spool of the smallest size: once it is full, records are dropped, counted, and
   * each tenant concerned gets one gap frame saying how many of its records were lost and when they were
   * made, at the place of the stream where they would have been (after what the spool kept). The node
   * restarted with Kafka reachable sends what the spool kept, then the marker.
   */
  @Test
  @Timeout(90)
  void drops_past_the_spool_cap_reach_subscribers_as_a_gap_frame(Vertx vertx) throws Exception {
    StreamEnv env = new StreamEnv(vertx);
    Path spool = StreamEnv.tempDir();
    Map<String, String> down = new HashMap<>();
    down.put("SLUICE_KAFKA_BOOTSTRAP", "127.0.0.1:" + Ports.free());
    down.put("SLUICE_SPOOL_MAX_BYTES", "65536");
    int total = 400;
    long firstTs = System.currentTimeMillis();
    double dropped;
    TestNode tiny = env.node(spool, down);
    try {
      eventually("the exporter found Kafka down", () -> tiny.node().stream().exporter().spooling());
      for (int i = 0; i < total; i++) {
        assertEquals(200, env.request(tiny, "/a/x", "d" + i), "a full spool fails no request");
        assertEquals(200, env.request(tiny, "/b/x", "g" + i));
        if (i % 10 == 9) {
          Thread.sleep(10); // frames of a few records, so the spool fills up gradually
        }
      }
      eventually("records were dropped", () -> tiny.node().registry().counter("sluice.stream.records.dropped")
          .count() > 0);
      Thread.sleep(200); // the last hand-overs
      dropped = tiny.node().registry().counter("sluice.stream.records.dropped").count();
    } finally {
      tiny.close();
    }
    long lastTs = System.currentTimeMillis();
    TestNode up = env.node(spool, Map.of());
    try {
      StreamClient client = new StreamClient(vertx);
      StreamClient.Sub acme = client.connect(up.node().streamPort(), "from=earliest", env.token(up, "acme"));
      StreamClient.Sub globex = client.connect(up.node().streamPort(), "from=earliest", env.token(up, "globex"));
      int lost = 0;
      for (var entry : Map.of("d", acme, "g", globex).entrySet()) {
        List<JsonObject> frames = new java.util.ArrayList<>();
        JsonObject f = entry.getValue().next(WAIT);
        while (f != null) {
          frames.add(f);
          f = entry.getValue().next(Duration.ofSeconds(3));
        }
        // Records in order; each gap counts exactly the records missing between its neighbours.
        int expected = 0;
        int owed = 0;
        int gaps = 0;
        for (JsonObject frame : frames) {
          assertTrue(frame.getString("cursor") != null, "every frame has a cursor to resume after it: " + frame);
          JsonObject gap = frame.getJsonObject("gap");
          if (gap == null) {
            String id = frame.getJsonObject("record").getString("request_id");
            assertEquals(entry.getKey() + (expected + owed), id, "records in order, gaps where records are missing");
            expected += owed + 1;
            owed = 0;
            continue;
          }
          gaps++;
          owed += gap.getInteger("dropped");
          lost += gap.getInteger("dropped");
          assertEquals(tiny.node().settings().nodeName(), gap.getString("node"));
          long from = java.time.Instant.parse(gap.getString("from_ts")).toEpochMilli();
          long to = java.time.Instant.parse(gap.getString("to_ts")).toEpochMilli();
          assertTrue(firstTs <= from && from <= to && to <= lastTs, "the lost records' times: " + gap);
        }
        assertEquals(total, expected + owed, entry.getKey() + ": every request is a record or counted in a gap");
        assertTrue(gaps > 0 && owed > 0, entry.getKey() + ": the spool dropped the last records: " + frames.size());
      }
      assertEquals(dropped, lost, 0.0, "every dropped record is counted, and owned by a gap frame");
      acme.close();
      globex.close();
    } finally {
      up.close();
      env.close();
    }
  }

  private static double gauge(TestNode node, String name) {
    return node.node().registry().get(name).gauge().value();
  }
}
