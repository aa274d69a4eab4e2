package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.stream.serve.Cursors;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Resume from a cursor is exact: no gap, no duplicate, whatever the moment of the disconnect. */
@ExtendWith(VertxExtension.class)
class StreamResumeTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private StreamEnv env;
  private TestNode node;
  private StreamClient client;
  private String acme;
  private String globex;

  @BeforeEach
  void start(Vertx vertx) {
    env = new StreamEnv(vertx);
    node = env.node();
    client = new StreamClient(vertx);
    acme = env.token(node, "acme");
    globex = env.token(node, "globex");
  }

  @AfterEach
  void stop() {
    node.close();
    env.close();
  }

  private void traffic(String prefix, String path, int from, int to) {
    for (int i = from; i < to; i++) {
      assertEquals(200, env.request(node, path, prefix + i));
    }
  }

  private static List<String> ids(List<JsonObject> frames) {
    List<String> ids = new ArrayList<>();
    for (JsonObject f : frames) {
      if (f.containsKey("record")) {
        ids.add(f.getJsonObject("record").getString("request_id"));
      }
    }
    return ids;
  }

  private static List<String> expected(String prefix, int from, int to) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i < to; i++) {
      ids.add(prefix + i);
    }
    return ids;
  }

  @Test
  void resumes_after_last_cursor_without_gap_or_duplicate() throws Exception {
    traffic("a", "/a/x", 0, 50);
    traffic("b", "/b/x", 0, 10);
    StreamClient.Sub first = client.connect(node.node().streamPort(), "from=earliest", acme);
    List<JsonObject> seen = first.records(20, WAIT);
    first.close();
    assertEquals(expected("a", 0, 20), ids(seen));
    JsonObject rec = seen.get(0).getJsonObject("record");
    assertEquals("acme", rec.getString("tenant"));
    assertEquals("ra", rec.getString("route"));
    assertEquals("svc-a", rec.getString("service"));
    assertEquals("GET", rec.getString("method"));
    assertEquals("/a/x", rec.getString("path"));
    assertEquals(200, rec.getInteger("status"));
    for (String field : List.of("id", "ts", "node", "latency_ms", "upstream_ms", "request_bytes", "response_bytes",
        "client_ip", "upstream", "consumer")) {
      assertTrue(rec.containsKey(field), field + " in " + rec);
    }
    String cursor = seen.get(seen.size() - 1).getString("cursor");

    traffic("a", "/a/x", 50, 100);
    StreamClient.Sub resumed = client.connect(node.node().streamPort(), "cursor=" + cursor, acme);
    List<JsonObject> rest = resumed.records(80, WAIT);
    assertEquals(expected("a", 20, 100), ids(rest), "exactly the records after the cursor");
    assertNull(resumed.next(Duration.ofMillis(500)), "nothing more: no duplicate, no other tenant");
    resumed.close();

    StreamClient.Sub other = client.connect(node.node().streamPort(), "from=earliest", globex);
    assertEquals(expected("b", 0, 10), ids(other.records(10, WAIT)), "globex sees its own records only");
    assertNull(other.next(Duration.ofMillis(300)));
    other.close();
  }

  /** Reconnects, each after 0 to 3 records, while records keep coming (a third-party client did 149 by hand). */
  private static final int RECONNECTS = 400;

  @Test
  @Timeout(120)
  void four_hundred_reconnects_under_traffic_lose_and_repeat_nothing() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger sent = new AtomicInteger();
    Thread load = new Thread(() -> {
      while (running.get()) {
        int i = sent.get();
        env.request(node, "/a/load", "r" + i);
        sent.incrementAndGet();
        if (i % 3 == 0) {
          env.request(node, "/b/load", "other" + i);
        }
      }
    }, "steady-traffic");
    load.start();
    Random random = new Random(7);
    List<String> got = new ArrayList<>();
    String cursor = null;
    int port = node.node().streamPort();
    try {
      for (int i = 0; i < RECONNECTS; i++) {
        StreamClient.Sub sub = client.connect(port, cursor == null ? "from=earliest" : "cursor=" + cursor, acme);
        int take = random.nextInt(4);
        if (take > 0) {
          for (JsonObject f : sub.records(take, WAIT)) {
            got.add(f.getJsonObject("record").getString("request_id"));
            cursor = f.getString("cursor");
          }
        }
        sub.close();
      }
    } finally {
      running.set(false);
      load.join();
    }
    int total = sent.get();
    StreamClient.Sub last = client.connect(port, cursor == null ? "from=earliest" : "cursor=" + cursor, acme);
    for (JsonObject f : last.records(total - got.size(), WAIT)) {
      got.add(f.getJsonObject("record").getString("request_id"));
    }
    assertNull(last.next(Duration.ofMillis(300)), "no duplicate after the last record");
    last.close();
    assertEquals(expected("r", 0, total), got, "every record once, in order, across " + RECONNECTS + " reconnects");
  }

  @Test
  void another_tenants_cursor_a_forged_one_and_bad_tokens_are_refused_with_a_reason() throws Exception {
    traffic("b", "/b/x", 0, 3);
    int port = node.node().streamPort();
    StreamClient.Sub b = client.connect(port, "from=earliest", globex);
    String globexCursor = b.records(3, WAIT).get(2).getString("cursor");
    b.close();

    StreamClient.Sub stolen = client.connect(port, "cursor=" + globexCursor, acme);
    assertEquals((short) 4403, stolen.awaitClose(WAIT));
    assertTrue(stolen.closeReason.contains("another tenant"), stolen.closeReason);
    assertNull(stolen.frames.peek(), "not a single record");

    String[] parts = globexCursor.split("\\.");
    String forgedPayload = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("1|0|0|acme".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    StreamClient.Sub forged = client.connect(port, "cursor=" + forgedPayload + "." + parts[1], acme);
    assertEquals((short) 4403, forged.awaitClose(WAIT));
    assertTrue(forged.closeReason.contains("signature"), forged.closeReason);

    // A cursor that is no cursor (not two base64 parts) is a bad query, not a forgery (found from outside: 4403).
    StreamClient.Sub garbage = client.connect(port, "cursor=garbage", acme);
    assertEquals((short) 4400, garbage.awaitClose(WAIT));
    assertEquals("malformed cursor", garbage.closeReason);
    // Two credentials in one request: neither is taken over the other (the header used to win silently).
    StreamClient.Sub both = client.connect(port, "from=earliest&token=st_other", acme);
    assertEquals((short) 4400, both.awaitClose(WAIT));
    assertTrue(both.closeReason.contains("not both"), both.closeReason);
    assertNull(both.frames.peek(), "not a single record");

    StreamClient.Sub noToken = client.connect(port, "from=earliest", null);
    assertEquals((short) 4401, noToken.awaitClose(WAIT));
    StreamClient.Sub badToken = client.connect(port, "from=earliest", "st_not-a-real-token");
    assertEquals((short) 4401, badToken.awaitClose(WAIT));
    StreamClient.Sub queryToken = client.connect(port, "from=earliest&token=" + globex, null);
    assertEquals(3, queryToken.records(3, WAIT).size(), "?token= works like the header (browsers)");
    queryToken.close();
    StreamClient.Sub badQuery = client.connect(port, "from=yesterday", acme);
    assertEquals((short) 4400, badQuery.awaitClose(WAIT));
    StreamClient.Sub badFilter = client.connect(port, "status=9zz", acme);
    assertEquals((short) 4400, badFilter.awaitClose(WAIT));
    // A typo or a parameter given twice is refused naming it, never streamed unfiltered or one of two.
    StreamClient.Sub typo = client.connect(port, "stauts=5xx", acme);
    assertEquals((short) 4400, typo.awaitClose(WAIT));
    assertTrue(typo.closeReason.startsWith("unknown parameter stauts"), typo.closeReason);
    StreamClient.Sub twice = client.connect(port, "from=earliest&from=latest", acme);
    assertEquals((short) 4400, twice.awaitClose(WAIT));
    assertEquals("from is given 2 times: give it once", twice.closeReason);
  }

  /** A signed cursor past the log's end (a topic recreated since) would wait forever below new records. */
  @Test
  void a_cursor_past_the_logs_end_is_refused_and_one_just_at_it_waits_for_the_next_record() throws Exception {
    traffic("a", "/a/x", 0, 3);
    int port = node.node().streamPort();
    StreamClient.Sub first = client.connect(port, "from=earliest", acme);
    String last = first.records(3, WAIT).get(2).getString("cursor");
    first.close();
    Cursors cursors = new Cursors("test-cursor-secret");
    Cursors.Position p = cursors.decode(last);
    String beyond = cursors.encode(p.tenant(), p.partition(), p.pos() + (1000L << 16));
    assertEquals(p.offset() + 1000, cursors.decode(beyond).offset(), "the forged cursor names 1000 offsets later");

    StreamClient.Sub past = client.connect(port, "cursor=" + beyond, acme);
    assertEquals((short) 4416, past.awaitClose(WAIT));
    assertTrue(past.closeReason.contains("from=earliest"), past.closeReason);
    assertNull(past.frames.peek(), "not a single record");

    StreamClient.Sub atEnd = client.connect(port, "cursor=" + last, acme);
    traffic("a", "/a/x", 3, 4);
    assertEquals(expected("a", 3, 4), ids(atEnd.records(1, WAIT)), "the last cursor still resumes at once");
    atEnd.close();
  }

  @Test
  void filters_by_route_and_status_class() throws Exception {
    env.request(node, "/a/x", "ok1");
    env.request(node, "/a/x", "ok2");
    int port = node.node().streamPort();
    StreamClient.Sub none = client.connect(port, "from=earliest&status=5xx", acme);
    assertNull(none.next(Duration.ofMillis(700)), "no 5xx record");
    none.close();
    StreamClient.Sub ok = client.connect(port, "from=earliest&status=2xx&route=ra", acme);
    assertEquals(List.of("ok1", "ok2"), ids(ok.records(2, WAIT)));
    ok.close();
  }
}
