package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawWebSocket;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stream listener does not hold a connection for a client that stalls before its WebSocket opens (a head not
 * whole within stream.header_timeout_ms: 408 in the admin API's JSON shape; a body silent for stream.body_timeout_ms; a
 * connection with nothing under way for stream.idle_timeout_s), while an open stream, quiet or not, is never idle;
 * a subscriber that breaks the WebSocket protocol is told why in a close frame.
 */
@ExtendWith(VertxExtension.class)
class StreamListenerTimeoutsTest {

  private static final long WAIT_MS = 4000;

  @Test
  @Timeout(90)
  void stalled_connections_are_ended_and_an_open_stream_is_not(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node(null, Map.of("SLUICE_STREAM_HEADER_TIMEOUT_MS", "400",
          "SLUICE_STREAM_BODY_TIMEOUT_MS", "400", "SLUICE_STREAM_IDLE_TIMEOUT_S", "1"));
      try {
        int port = node.streamPort();
        String token = env.token(node, "acme");
        StreamClient.Sub sub = new StreamClient(vertx).connect(port, "from=latest", token);

        // A handshake whose head never ends: 408, closed.
        RawHttp.Answer head = RawHttp.exchange(port, ("GET /v1/stream HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n")
            .getBytes(StandardCharsets.ISO_8859_1), WAIT_MS);
        assertTrue(head.closedByServer(), head.describe());
        assertEquals(408, head.first().status(), head.describe());
        assertEquals("close", head.first().header("connection"), head.describe());
        JsonObject timedOut = head.first().json().getJsonObject("error");
        assertEquals("request_timeout", timedOut.getString("code"), head.describe());
        assertTrue(timedOut.getString("message").startsWith("the request head"), head.describe());

        // A body that stalls (answered 426 at once, then ended at the body timeout), and a connection never used.
        RawHttp.Answer body = RawHttp.exchange(port, ("POST /v1/stream HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n"
            + "\r\nabcd").getBytes(StandardCharsets.ISO_8859_1), WAIT_MS);
        assertTrue(body.closedByServer(), body.describe());
        assertEquals(426, body.first().status(), body.describe());
        assertEquals("upgrade_required", body.first().json().getJsonObject("error").getString("code"), body.describe());
        assertEquals("websocket", body.first().header("upgrade"), body.describe()); // RFC 9110 15.5.22
        // A chunked body Netty cannot read (a chunk size that is not hexadecimal, one too large) after a head answered at
        // once (426): that answer, then the close. The connection used to end with no answer at all.
        for (String size : new String[] {"zz", "100000002"}) {
          RawHttp.Answer bad = RawHttp.exchange(port, ("POST /v1/stream HTTP/1.1\r\nHost: a\r\n"
              + "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n").getBytes(StandardCharsets.ISO_8859_1), WAIT_MS);
          assertTrue(bad.closedByServer(), bad.describe());
          assertEquals(426, bad.first().status(), size + ": " + bad.describe());
          assertEquals("upgrade_required", bad.first().json().getJsonObject("error").getString("code"), bad.describe());
        }
        RawHttp.Answer unused = RawHttp.exchange(port, new byte[0], WAIT_MS);
        assertEquals(RawHttp.Ending.CLOSED, unused.ending(), unused.describe());
        assertTrue(unused.millis() >= 900, unused.describe());

        // The stream opened first has been quiet for more than the idle timeout: it still delivers.
        Thread.sleep(1500);
        assertFalse(sub.closed.isDone(), "the open stream was closed: " + sub.closeReason);
        assertEquals(200, env.request(node, "/a/after-quiet", "quiet-1"));
        JsonObject rec = sub.records(1, Duration.ofSeconds(30)).get(0).getJsonObject("record");
        assertEquals("quiet-1", rec.getString("request_id"));

        // A subscriber's frame with a reserved bit set (no extension agreed): a close frame saying why (1002), not a
        // bare end of the connection; the other subscriber keeps receiving.
        try (RawWebSocket broken = RawWebSocket.open(port, "/v1/stream?from=latest", "Authorization: Bearer " + token)) {
          broken.send(0x80 | 0x40 | RawWebSocket.TEXT, "hi".getBytes(StandardCharsets.UTF_8), true);
          RawWebSocket.Ending end = broken.readUntilClosed(WAIT_MS);
          assertTrue(end.closedByServer(), end.describe());
          assertEquals(1002, end.close() == null ? -1 : end.close().closeCode(), end.describe());
          assertTrue(end.close().closeReason().contains("RSV"), end.describe());
        }
        assertEquals(200, env.request(node, "/a/after-broken", "broken-1"));
        assertEquals("broken-1", sub.records(1, Duration.ofSeconds(30)).get(0).getJsonObject("record")
            .getString("request_id"));
        sub.close();
      } finally {
        node.close();
      }
    }
  }
}
