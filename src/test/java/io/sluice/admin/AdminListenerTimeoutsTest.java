package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin listener does not hold a connection for a client that stalls: a head not whole within
 * admin.header_timeout_ms and a body silent for admin.body_timeout_ms are answered 408 in the admin API's JSON and
 * closed, and a connection with nothing under way is closed after admin.idle_timeout_s. Timeouts are set short.
 */
class AdminListenerTimeoutsTest {

  private static final long HEADER_MS = 400;
  private static final long BODY_MS = 400;
  /** How long a raw exchange waits for the server to end the connection: far beyond every timeout set here. */
  private static final long WAIT_MS = 4000;

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.simpleRoutes(null, 9), Map.of(
        "SLUICE_ADMIN_HEADER_TIMEOUT_MS", String.valueOf(HEADER_MS),
        "SLUICE_ADMIN_BODY_TIMEOUT_MS", String.valueOf(BODY_MS),
        "SLUICE_ADMIN_IDLE_TIMEOUT_S", "1"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static RawHttp.Answer exchange(String request) {
    return RawHttp.exchange(node.adminPort(), request.getBytes(StandardCharsets.ISO_8859_1), WAIT_MS);
  }

  private static void assertTimedOut(RawHttp.Answer a, String reasonStart, long atLeastMs) {
    assertTrue(a.closedByServer(), a.describe());
    RawHttp.Response r = a.first();
    assertEquals(408, r.status(), a.describe());
    assertEquals("close", r.header("connection"), a.describe());
    assertTrue(r.header("content-type").startsWith("application/json"), a.describe());
    JsonObject error = r.json().getJsonObject("error");
    assertEquals(408, error.getInteger("status"), a.describe());
    assertEquals("request_timeout", error.getString("code"), a.describe());
    assertTrue(error.getString("message").startsWith(reasonStart), a.describe());
    assertTrue(a.millis() >= atLeastMs - 50, "not before the timeout: " + a.describe());
  }

  @Test
  void a_head_not_whole_within_the_header_timeout_is_a_json_408_and_closed() {
    try (CapturedLogs logs = CapturedLogs.all()) {
      assertTimedOut(exchange("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: "), "the request head",
          HEADER_MS);
      assertTimedOut(exchange("GET /routes HT"), "the request head", HEADER_MS);
      assertEquals(List.of(), logs.atLeast(Level.ERROR), "no ERROR line");
    }
  }

  /**
   * A head trickled a byte at a time is held to the total, not to the silence between bytes. The client here never
   * stops to read: it keeps sending for a while after the 408 is due, as a client in the middle of a head does. The
   * listener closes lingering (reads and drops those bytes, ends its side first), so they cannot draw a reset that
   * would discard the 408 before the client reads it: the whole answer is read, then the end of the connection.
   */
  @Test
  void a_head_trickled_byte_by_byte_is_cut_at_the_header_timeout_and_its_408_survives_bytes_sent_after_it()
      throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", node.adminPort()));
      s.setSoTimeout((int) WAIT_MS);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] head = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: abcdefghijklmnopqrstuvwxyz\r\n"
          .getBytes(StandardCharsets.ISO_8859_1);
      long start = System.nanoTime();
      long answeredMs = -1;
      // Sent well past the answer: half a second of bytes after it shows, far less than the linger.
      for (int i = 0; answeredMs < 0 || millisSince(start) < answeredMs + 500; i++) {
        assertTrue(i < head.length, "no answer within the whole trickled head");
        out.write(head[i]);
        out.flush();
        Thread.sleep(50);
        if (answeredMs < 0 && in.available() > 0) {
          answeredMs = millisSince(start);
        }
      }
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
      assertTrue(answeredMs < HEADER_MS + 1500, "cut near the header timeout, after " + answeredMs + " ms");
      int headEnd = answer.indexOf("\r\n\r\n");
      assertTrue(headEnd > 0, answer);
      Matcher length = Pattern.compile("(?im)^content-length: *(\\d+)").matcher(answer.substring(0, headEnd));
      assertTrue(length.find(), answer);
      String body = answer.substring(headEnd + 4);
      assertEquals(Integer.parseInt(length.group(1)), body.length(), "the whole 408: " + answer);
      assertEquals("request_timeout", new JsonObject(body).getJsonObject("error").getString("code"), answer);
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  @Test
  void a_body_silent_for_the_body_timeout_is_a_json_408_and_closed() {
    try (CapturedLogs logs = CapturedLogs.all()) {
      assertTimedOut(exchange("PUT /logging/io.sluice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"le"), "the request body", BODY_MS);
      assertTimedOut(exchange("PUT /logging/io.sluice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"le\r\n"), "the request body", BODY_MS);
      assertEquals(List.of(), logs.atLeast(Level.ERROR), "no ERROR line");
    }
  }

  /** The body timeout is a silence: a body that keeps coming, slowly, is read to its end and answered. */
  @Test
  void a_slow_body_that_keeps_moving_is_answered() throws Exception {
    byte[] body = "{\"level\": \"info\"}".getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", node.adminPort()));
      s.setSoTimeout((int) WAIT_MS);
      OutputStream out = s.getOutputStream();
      out.write(("PUT /logging/io.sluice.slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      for (int i = 0; i < body.length; i += 4) {
        Thread.sleep(BODY_MS / 2); // in all several times the body timeout, never that long silent
        out.write(body, i, Math.min(4, body.length - i));
        out.flush();
      }
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
    }
  }

  @Test
  void a_connection_with_nothing_under_way_is_closed_after_the_idle_timeout() {
    // Kept alive after its answer: closed about a second later, without a word.
    RawHttp.Answer kept = exchange("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assertEquals(RawHttp.Ending.CLOSED, kept.ending(), kept.describe());
    assertEquals(1, kept.responses().size(), kept.describe());
    assertEquals(200, kept.first().status(), kept.describe());
    assertTrue(kept.millis() >= 900, "idle for the idle timeout first: " + kept.describe());
    // Opened and never used: the same.
    RawHttp.Answer unused = RawHttp.exchange(node.adminPort(), new byte[0], WAIT_MS);
    assertEquals(RawHttp.Ending.CLOSED, unused.ending(), unused.describe());
    assertTrue(unused.isEmpty(), unused.describe());
    assertTrue(unused.millis() >= 900, unused.describe());
  }
}
