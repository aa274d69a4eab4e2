package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slowloris on the proxy port: a request head trickled (a header line at a time, never silent as long as the idle
 * timeout) is answered 408 once proxy.header_timeout_ms passed since its first byte, and the connection closed; the
 * target never sees it. A keep-alive connection's next head gets its own time, counted from its own first byte.
 */
class SlowHeadsTest {

  private static final long HEADER_TIMEOUT_MS = 1000;

  private Vertx vertx;
  private RawUpstream upstream;
  private TestNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    upstream = RawUpstream.start(vertx);
    node = TestNode.start("""
        format_version: 1
        services:
          - {name: svc, targets: [{address: "127.0.0.1:%d"}]}
        routes:
          - {name: api, service: svc, paths: ["/api"]}
        """.formatted(upstream.port()), Map.of("SLUICE_PROXY_HEADER_TIMEOUT_MS", String.valueOf(HEADER_TIMEOUT_MS)));
  }

  @AfterEach
  void stop() {
    node.close();
    upstream.close();
    vertx.close().await();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", node.proxyPort()), 2000);
    return s;
  }

  /** Writes {@code parts} one every {@code everyMs}, stopping when the server closes; then reads all it answered. */
  static String trickle(Socket s, long everyMs, String... parts) throws IOException {
    OutputStream out = s.getOutputStream();
    try {
      for (String p : parts) {
        out.write(p.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        sleep(everyMs);
      }
    } catch (IOException closed) {
      // the server ended the connection mid-trickle: read what it said
    }
    return readAll(s, 3000);
  }

  private static String readAll(Socket s, long timeoutMs) throws IOException {
    s.setSoTimeout((int) timeoutMs);
    StringBuilder b = new StringBuilder();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        b.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        if (b.indexOf("\r\n\r\n") > 0 && !b.toString().contains("Connection: close")
            && !b.toString().startsWith("HTTP/1.1 408")) {
          return b.toString(); // a keep-alive answer: the caller goes on
        }
      }
    } catch (SocketTimeoutException | java.net.SocketException e) {
      b.append("[").append(e.getClass().getSimpleName()).append("]");
    }
    return b.toString();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void a_head_trickled_a_line_at_a_time_is_answered_408_and_closed() throws IOException {
    long start = System.nanoTime();
    try (Socket s = connect()) {
      String[] lines = new String[20];
      lines[0] = "GET /api/x HTTP/1.1\r\nHost: a\r\n";
      for (int i = 1; i < lines.length; i++) {
        lines[i] = "X-Slow-" + i + ": y\r\n";
      }
      String answer = trickle(s, 250, lines);
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(answer.startsWith("HTTP/1.1 408"), RawHttp.escape(answer));
      assertTrue(answer.contains("request_timeout") && answer.contains("did not arrive whole within 1000 ms")
          && !answer.contains("malformed"), answer);
      assertTrue(ms < 4000, "cut off after " + ms + " ms, not at the header timeout");
      assertTrue(s.getInputStream().read() < 0, "the connection is closed after the 408");
    }
    assertEquals("", upstream.bytes(), "the target saw a byte of the trickled head");
  }

  @Test
  void a_head_trickled_a_byte_at_a_time_is_cut_off_too() throws IOException {
    try (Socket s = connect()) {
      String head = "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n";
      String[] bytes = head.split("");
      String answer = trickle(s, 200, bytes);
      assertTrue(answer.startsWith("HTTP/1.1 408"), RawHttp.escape(answer));
    }
  }

  @Test
  void a_keep_alive_connections_next_head_is_timed_from_its_own_first_byte() throws IOException {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write("GET /api/1 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertTrue(readAll(s, 3000).startsWith("HTTP/1.1 200"));
      sleep(HEADER_TIMEOUT_MS + 500); // idle, longer than the header timeout: not a head in progress
      // A head in three parts, within the timeout, on the same connection.
      String answer = trickle(s, 200, "GET /api/2 HTTP/1.1\r\n", "Host: a\r\n", "\r\n");
      assertTrue(answer.startsWith("HTTP/1.1 200"), RawHttp.escape(answer));
      // The next one trickled past it is cut off.
      answer = trickle(s, 400, "GET /api/3 HTTP/1.1\r\n", "Host: a\r\n", "X-A: 1\r\n", "X-B: 1\r\n", "\r\n");
      assertTrue(answer.startsWith("HTTP/1.1 408"), RawHttp.escape(answer));
    }
  }

  @Test
  void an_h2c_preface_trickled_is_closed_after_the_header_timeout() throws IOException {
    long start = System.nanoTime();
    try (Socket s = connect()) {
      String answer = trickle(s, 300, "PRI", " * ", "HTTP", "/2.0", "\r\n", "\r\n", "SM", "\r\n");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals("", answer.replace("[SocketException]", ""), "nothing answered to a half preface");
      assertTrue(ms < 4000, "closed after " + ms + " ms");
    }
  }
}
