package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawH2;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request trailers are not forwarded, over HTTP/1.1 or HTTP/2 (docs/routes-and-services.md): Vert.x 5.0's server
 * request has no way to read them and its client request none to write them (eclipse-vertx/vert.x issue 5253). What
 * holds: the body reaches the target whole, the request is answered, and a trailer field never turns into a header.
 * A Vert.x that carries them makes this test fail, to be replaced by one that forwards them (less the forbidden ones).
 */
class RequestTrailersTest {

  private Vertx vertx;
  private RawUpstream upstream;
  private TestNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    upstream = RawUpstream.start(vertx);
    node = TestNode.start(TestNode.simpleRoutes(null, upstream.port()));
  }

  @AfterEach
  void stop() {
    node.close();
    upstream.close();
    vertx.close().await();
  }

  @Test
  void http1_request_trailers_are_dropped_and_the_body_goes_through() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.proxyPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("POST /trailers-http1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
          + "Trailer: X-Checksum\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 200"), RawHttp.escape(answer));
    }
    String seen = upstream.bytes();
    assertTrue(seen.contains("POST /trailers-http1 ") && seen.endsWith("5\r\nhello\r\n0\r\n\r\n"), RawHttp.escape(seen));
    assertFalse(seen.toLowerCase(Locale.ROOT).contains("x-checksum"), RawHttp.escape(seen));
  }

  @Test
  void h2_request_trailers_are_dropped_and_the_body_goes_through() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.proxyPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      RawH2.open(out);
      RawH2.frame(out, RawH2.HEADERS, RawH2.END_HEADERS, 1, RawH2.block(":method", "POST", ":scheme", "http",
          ":authority", "a", ":path", "/trailers-h2", "te", "trailers"));
      RawH2.frame(out, 0, 0, 1, "hello".getBytes(StandardCharsets.ISO_8859_1)); // DATA
      RawH2.frame(out, RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, 1, RawH2.block("x-checksum", "abc"));
      DataInputStream in = new DataInputStream(s.getInputStream());
      String status = null;
      while (status == null) {
        RawH2.Frame f = RawH2.read(in);
        if (f.type() == RawH2.SETTINGS && (f.flags() & 1) == 0) {
          RawH2.frame(out, RawH2.SETTINGS, 1, 0, new byte[0]);
        } else if (f.type() == RawH2.HEADERS && f.stream() == 1) {
          // The block starts with :status, after 5 bytes of PRIORITY when flagged; 0x88 is HPACK's indexed :status 200
          // (RFC 7541 appendix A).
          int at = (f.flags() & 0x20) != 0 ? 5 : 0;
          status = (f.payload()[at] & 0xff) == 0x88 ? "200" : "not 200: " + RawHttp.escape(f.payload(), 64);
        } else if (f.type() == RawH2.RST_STREAM || f.type() == RawH2.GOAWAY) {
          status = "frame " + f.type();
        }
      }
      assertEquals("200", status);
    }
    String seen = upstream.bytes();
    assertTrue(seen.contains("POST /trailers-h2 ") && seen.contains("hello"), RawHttp.escape(seen));
    assertFalse(seen.toLowerCase(Locale.ROOT).contains("x-checksum"), RawHttp.escape(seen));
  }
}
