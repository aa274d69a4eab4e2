package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.stream.serve.Cursors;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Cursors across nodes and restarts, retention gaps, and slow subscribers. */
@ExtendWith(VertxExtension.class)
class StreamNodesTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private static List<String> ids(List<JsonObject> frames) {
    List<String> ids = new ArrayList<>();
    for (JsonObject f : frames) {
      if (f.containsKey("record")) {
        ids.add(f.getJsonObject("record").getString("request_id"));
      }
    }
    return ids;
  }

  private static List<String> range(String prefix, int from, int to) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i < to; i++) {
      ids.add(prefix + i);
    }
    return ids;
  }

  @Test
  @Timeout(90)
  void a_cursor_resumes_on_another_node_and_on_the_restarted_one(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      Path spoolA = StreamEnv.tempDir();
      TestNode a = env.node(spoolA, Map.of());
      TestNode b = env.node();
      StreamClient client = new StreamClient(vertx);
      try {
        String token = env.token(a, "acme");
        for (int i = 0; i < 20; i++) {
          env.request(a, "/a/x", "n" + i);
        }
        StreamClient.Sub onA = client.connect(a.node().streamPort(), "from=earliest", token);
        List<JsonObject> first = onA.records(12, WAIT);
        a.close(); // the node goes away under its subscriber
        assertTrue(onA.awaitClose(WAIT) != 0);
        for (int i = 20; i < 40; i++) {
          env.request(b, "/a/x", "n" + i);
        }
        String cursor = first.get(11).getString("cursor");
        StreamClient.Sub onB = client.connect(b.node().streamPort(), "cursor=" + cursor, token);
        List<JsonObject> rest = onB.records(28, WAIT);
        assertEquals(range("n", 12, 40), ids(rest), "resumed on node B exactly after the last record seen on A");
        assertNull(onB.next(Duration.ofMillis(300)));
        onB.close();

        a = env.node(spoolA, Map.of()); // node A back, same spool
        for (int i = 40; i < 45; i++) {
          env.request(a, "/a/x", "n" + i);
        }
        StreamClient.Sub back = client.connect(a.node().streamPort(), "cursor=" + rest.get(27).getString("cursor"),
            token);
        assertEquals(range("n", 40, 45), ids(back.records(5, WAIT)), "and on the restarted node A");
        back.close();
      } finally {
        a.close();
        b.close();
      }
    }
  }

  @Test
  void a_cursor_older_than_retention_gets_a_gap_frame_then_the_oldest_record_held(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node();
      try {
        String token = env.token(node, "acme");
        for (int i = 0; i < 10; i++) {
          env.request(node, "/a/x", "g" + i);
          Thread.sleep(40); // each record its own Kafka record (batch), so retention cuts between them
        }
        StreamClient client = new StreamClient(vertx);
        StreamClient.Sub sub = client.connect(node.node().streamPort(), "from=earliest", token);
        List<JsonObject> frames = sub.records(10, WAIT);
        sub.close();
        String early = frames.get(1).getString("cursor");
        Cursors.Position pos = new Cursors("test-cursor-secret").decode(frames.get(5).getString("cursor"));
        // Retention as Kafka applies it: the log start moves past the first six records.
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap))) {
          admin.deleteRecords(Map.of(new TopicPartition(env.topic, pos.partition()),
              RecordsToDelete.beforeOffset(pos.offset() + 1))).all().get(10, TimeUnit.SECONDS);
        }
        StreamClient.Sub resumed = client.connect(node.node().streamPort(), "cursor=" + early, token);
        List<JsonObject> after = resumed.records(4, WAIT);
        JsonObject gap = after.get(0).getJsonObject("gap");
        assertTrue(gap != null, "a gap frame first: " + after.get(0));
        assertEquals(new Cursors("test-cursor-secret").decode(early).offset() + 1, gap.getLong("from"));
        assertEquals(pos.offset(), gap.getLong("to"));
        assertEquals(range("g", 6, 10), ids(after), "then the oldest record still held, and on");
        resumed.close();
      } finally {
        node.close();
      }
    }
  }

  /** The status code of the close frame in a server's raw WebSocket bytes (after the 101 head), or -1. */
  private static int closeCode(Buffer raw) {
    byte[] b = raw.getBytes();
    int i = raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") + 4;
    while (i + 2 <= b.length) {
      int opcode = b[i] & 0x0f;
      long len = b[i + 1] & 0x7f;
      int head = 2;
      if (len == 126) {
        len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
        head = 4;
      } else if (len == 127) {
        len = java.nio.ByteBuffer.wrap(b, i + 2, 8).getLong();
        head = 10;
      }
      if (opcode == 8 && len >= 2) {
        return ((b[i + head] & 0xff) << 8) | (b[i + head + 1] & 0xff);
      }
      i += head + (int) len;
    }
    return -1;
  }

  @Test
  @Timeout(180) // eleven readers backfilling 3,000 records each on a shared 2-core machine
  void a_slow_client_is_closed_with_1013_while_ten_others_keep_receiving(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node(null, Map.of("SLUICE_STREAM_SLOW_CLIENT_MS", "500"));
      try {
        String token = env.token(node, "acme");
        int port = node.node().streamPort();
        for (int i = 0; i < 3000; i++) {
          env.request(node, "/a/x", "w" + i);
        }
        // The slow client: a raw socket with a tiny receive buffer that stops reading after its handshake.
        NetClient raw = vertx.createNetClient(new NetClientOptions().setReceiveBufferSize(4096));
        NetSocket slow = raw.connect(port, "127.0.0.1").await();
        Buffer received = Buffer.buffer();
        slow.handler(b -> {
          synchronized (received) {
            received.appendBuffer(b);
          }
        });
        CompletableFuture<Void> slowEnded = new CompletableFuture<>();
        slow.closeHandler(v -> slowEnded.complete(null));
        slow.write("GET /v1/stream?from=earliest HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer " + token + "\r\n\r\n");
        slow.pause();

        StreamClient client = new StreamClient(vertx);
        List<StreamClient.Sub> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          others.add(client.connect(port, "from=earliest", token));
        }
        for (StreamClient.Sub o : others) {
          assertEquals(range("w", 0, 3000), ids(o.records(3000, Duration.ofSeconds(60))));
        }
        // The slow one is closed by the node (its frames and then the close are read once it reads again).
        Thread.sleep(1500);
        for (int i = 3000; i < 3100; i++) {
          env.request(node, "/a/x", "w" + i);
        }
        for (StreamClient.Sub o : others) {
          assertEquals(range("w", 3000, 3100), ids(o.records(100, WAIT)), "the ten others keep receiving");
          o.close();
        }
        slow.resume(); // now it reads what was sent, up to the close frame
        long deadline = System.currentTimeMillis() + 20_000;
        int code = -1;
        while (code < 0 && !slowEnded.isDone() && System.currentTimeMillis() < deadline) {
          Thread.sleep(50);
          synchronized (received) {
            code = closeCode(received);
          }
        }
        assertEquals(1013, code, "closed as too slow");
      } finally {
        node.close();
      }
    }
  }
}
