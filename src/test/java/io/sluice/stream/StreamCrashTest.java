package io.sluice.stream;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.KafkaProcess;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once through crashes and outages, with the broker and the node each in a JVM of its own so that
 * they can be killed (-9) or frozen (SIGSTOP) as in production: no record of an answered request is lost,
 * and none reaches a subscriber twice, whatever cursor it resumes from.
 */
@ExtendWith(VertxExtension.class)
class StreamCrashTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String EXPORTED = "sluice_stream_records_exported_total";
  /** Requests {@link #load} sends at once (a round). */
  private static final int BATCH = 32;
  /** The exporter's Kafka client id (KafkaClients), and the replay rate the quota holds it to. */
  private static final String EXPORTER_CLIENT = "sluice-access-exporter";
  private static final double REPLAY_BYTES_PER_S = 256 * 1024;

  /**
   * One broker JVM for the class: each test has a topic, database, spool and request-id prefix of its own, and
   * leaves the broker serving (it restarts or resumes it itself; {@link #brokerServes} when it failed first).
   */
  private static KafkaProcess broker;

  @TempDir
  Path dir;

  @BeforeAll
  static void startBroker() {
    broker = KafkaProcess.start();
  }

  @AfterEach
  void brokerServes() {
    broker.ensureServing();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  @Timeout(240)
  void kill_9_while_kafka_is_down_loses_no_record(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx, broker.bootstrap());
         NodeProcess node = new NodeProcess(env, dir, Map.of("SLUICE_KAFKA_DELIVERY_TIMEOUT_MS", "1500"))) {
      node.start();
      String token = node.token("acme");
      assertEquals(0, load(env, node, "a", 0, 300), "requests before the outage");
      broker.kill();
      assertEquals(0, load(env, node, "a", 300, 1500), "requests while Kafka is down are answered");
      // The window that remains: a record is written to the spool within milliseconds of its answer (the
      // event loop's hand-over, LoopBuffer.FLUSH_MS); kill -9 after that loses nothing.
      Thread.sleep(100);
      node.kill9();
      broker.restart();
      node.start();
      assertTrue(node.lastOutput().contains("not acknowledged by Kafka; sending them first"), node.lastOutput());
      assertExactlyOnce(vertx, node, token, "a", 1500);
    }
  }

  @Test
  @Timeout(240)
  void kill_9_during_a_spool_replay_then_resume_sees_every_request_once(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx, broker.bootstrap());
         NodeProcess node = new NodeProcess(env, dir, Map.of("SLUICE_KAFKA_DELIVERY_TIMEOUT_MS", "1500"))) {
      node.start();
      String token = node.token("acme");
      assertEquals(0, load(env, node, "r", 0, 100), "requests before the outage");
      // Unthrottled, the whole replay is acknowledged within one poll of the metric (CI once saw 7,940 of 8,000
      // at the first poll past 100): the broker's quota on the exporter stretches it to seconds.
      broker.throttleProducer(EXPORTER_CLIENT, REPLAY_BYTES_PER_S);
      double exported;
      int total = 8000;
      try {
        broker.kill();
        assertEquals(0, load(env, node, "r", 100, total), "requests while Kafka is down are answered");
        broker.restart();
        // The exporter finds Kafka again within its backoff and replays; kill it as soon as acknowledgements come.
        long deadline = System.currentTimeMillis() + 30_000;
        exported = node.metric(EXPORTED);
        while (exported <= 100 && System.currentTimeMillis() < deadline) {
          exported = node.metric(EXPORTED);
        }
        node.kill9();
      } finally {
        broker.throttleProducer(EXPORTER_CLIENT, null);
      }
      assertTrue(exported > 100, "the replay had started when the node was killed: " + exported);
      node.start();
      assertTrue(node.lastOutput().contains("not acknowledged by Kafka; sending them first"),
          "killed before the replay ended (" + exported + " of " + total + " acknowledged)");

      // A subscriber reads part of the stream, drops, and resumes from its last cursor.
      StreamClient client = new StreamClient(vertx);
      StreamClient.Sub first = client.connect(node.streamPort, "from=earliest", token);
      List<JsonObject> seen = new ArrayList<>(first.records(total / 3, WAIT));
      first.close();
      String cursor = seen.get(seen.size() - 1).getString("cursor");
      StreamClient.Sub second = client.connect(node.streamPort, "cursor=" + cursor, token);
      seen.addAll(second.records(total - total / 3, WAIT));
      assertEquals(null, second.next(Duration.ofSeconds(2)), "nothing after the last record");
      second.close();
      assertIdsOnceInOrder(seen, "r", total, loadRounds(100));
    }
  }

  @Test
  @Timeout(240)
  void a_broker_frozen_12_s_under_load_costs_no_request_no_loss_no_duplicate(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx, broker.bootstrap())) {
      Map<String, String> extra = new HashMap<>();
      extra.put("SLUICE_KAFKA_DELIVERY_TIMEOUT_MS", "2000");
      TestNode node = env.node(null, extra);
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger sent = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      try {
        String token = env.token(node, "acme");
        Thread load = new Thread(() -> {
          while (running.get()) {
            int i = sent.getAndIncrement();
            if (env.request(node, "/a/x", "p" + i) != 200) {
              failed.incrementAndGet();
            }
            try {
              Thread.sleep(3);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        load.start();
        // Under load: acknowledgements are coming when the broker freezes.
        eventually("records reach Kafka before the freeze", () -> env.metric(node, EXPORTED) >= 200);
        broker.pause();
        Thread.sleep(3000);
        assertTrue(node.node().stream().exporter().spooling(), "health knows records stopped leaving");
        Thread.sleep(9_000);  // frozen 12 s in all: six times the delivery timeout
        broker.resume();
        Thread.sleep(3000);
        running.set(false);
        load.join();
        assertEquals(0, failed.get(), "no request failed while Kafka was frozen");
        int total = sent.get();
        StreamClient.Sub sub = new StreamClient(vertx).connect(node.node().streamPort(), "from=earliest", token);
        List<JsonObject> frames = sub.records(total, WAIT);
        assertEquals(null, sub.next(Duration.ofSeconds(3)), "no record twice");
        sub.close();
        assertIdsOnceInOrder(frames, "p", total, n -> n); // one request at a time
      } finally {
        running.set(false);
        node.close();
      }
    }
  }

  /** Requests {@code prefix}{from..to-1} on /a, {@link #BATCH} at a time; the number not answered 200. */
  private static int load(StreamEnv env, NodeProcess node, String prefix, int from, int to) {
    int failed = 0;
    for (int i = from; i < to; i += BATCH) {
      List<Future<io.sluice.testing.Http.Reply>> batch = new ArrayList<>();
      for (int j = i; j < Math.min(to, i + BATCH); j++) {
        batch.add(env.http.send(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort).setURI("/a/x")
            .putHeader("X-Request-Id", prefix + j), null));
      }
      for (Future<io.sluice.testing.Http.Reply> f : batch) {
        try {
          if (f.await().status() != 200) {
            failed++;
          }
        } catch (RuntimeException e) {
          failed++;
        }
      }
    }
    return failed;
  }

  private static void assertExactlyOnce(Vertx vertx, NodeProcess node, String token, String prefix, int total)
      throws Exception {
    StreamClient.Sub sub = new StreamClient(vertx).connect(node.streamPort, "from=earliest", token);
    List<JsonObject> frames = new ArrayList<>();
    try {
      frames.addAll(sub.records(total, WAIT));
    } catch (AssertionError e) {
      JsonObject f;
      while ((f = sub.next(Duration.ofMillis(10))) != null) {
        frames.add(f);
      }
      Set<String> got = new HashSet<>();
      frames.forEach(x -> got.add(x.getJsonObject("record").getString("request_id")));
      List<String> missing = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        if (!got.contains(prefix + i)) {
          missing.add(prefix + i);
        }
      }
      throw new AssertionError(e.getMessage() + "; missing " + missing);
    }
    assertEquals(null, sub.next(Duration.ofSeconds(2)), "no record twice");
    sub.close();
    Set<String> ids = new HashSet<>();
    for (JsonObject f : frames) {
      String id = f.getJsonObject("record").getString("request_id");
      assertTrue(ids.add(id), "once: " + id);
    }
    for (int i = 0; i < total; i++) {
      assertTrue(ids.contains(prefix + i), prefix + i + " of " + total + " reached the stream");
    }
  }

  /**
   * Every id once, and in the order the node finished the requests as far as the client can know it:
   * {@code round} maps a request's number to the round it was sent in (a round's requests run concurrently and
   * may finish in any order; a round starts once the one before it has been answered), so along the stream the
   * rounds never go back.
   */
  private static void assertIdsOnceInOrder(List<JsonObject> frames, String prefix, int total, IntUnaryOperator round) {
    Set<String> ids = new HashSet<>();
    int lastRound = -1;
    String lastId = null;
    for (JsonObject f : frames) {
      String id = f.getJsonObject("record").getString("request_id");
      assertTrue(ids.add(id), "once: " + id);
      int r = round.applyAsInt(Integer.parseInt(id.substring(prefix.length())));
      assertTrue(r >= lastRound, "in order: " + id + " (round " + r + ") after " + lastId + " (round " + lastRound + ")");
      lastRound = r;
      lastId = id;
    }
    for (int i = 0; i < total; i++) {
      assertTrue(ids.contains(prefix + i), prefix + i + " of " + total + " reached the stream");
    }
  }

  /** The round of request {@code n} when {@link #load} sent {@code [0, split)} and then {@code [split, ...)}. */
  private static IntUnaryOperator loadRounds(int split) {
    int first = (split + BATCH - 1) / BATCH;
    return n -> n < split ? n / BATCH : first + (n - split) / BATCH;
  }

}
