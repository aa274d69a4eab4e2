package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawH2;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slowloris over h2c: a header block trickled (a HEADERS without END_HEADERS, then a CONTINUATION now and then; or
 * one HEADERS frame's payload a few bytes at a time) ends the connection with GOAWAY ENHANCE_YOUR_CALM once
 * proxy.header_timeout_ms passed; Netty alone would hold it as long as the trickle lasts.
 */
class SlowHeadsH2Test {

  private static final int ENHANCE_YOUR_CALM = 0xb;

  private Vertx vertx;
  private RawUpstream upstream;
  private TestNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    upstream = RawUpstream.start(vertx);
    node = TestNode.start(TestNode.simpleRoutes(null, upstream.port()),
        Map.of("SLUICE_PROXY_HEADER_TIMEOUT_MS", "1000"));
  }

  @AfterEach
  void stop() {
    node.close();
    upstream.close();
    vertx.close().await();
  }

  /** Runs {@code trickle} beside a reader; the GOAWAY the server sent within 5 s, or null. */
  static RawH2.Frame goAwayWhile(Socket s, Trickle trickle) throws Exception {
    OutputStream out = s.getOutputStream();
    RawH2.open(out);
    s.setSoTimeout(5000);
    DataInputStream in = new DataInputStream(s.getInputStream());
    for (RawH2.Frame f = RawH2.read(in); f.type() != RawH2.SETTINGS || (f.flags() & 1) != 0; f = RawH2.read(in)) {
      // up to the server's SETTINGS, acknowledged before the trickle starts (no frame may come inside a block)
    }
    RawH2.frame(out, RawH2.SETTINGS, 1, 0, new byte[0]);
    Thread writer = new Thread(() -> {
      try {
        trickle.run(out);
      } catch (IOException | InterruptedException closed) {
        // the server ended the connection
      }
    });
    writer.setDaemon(true);
    writer.start();
    long start = System.nanoTime();
    try {
      while (true) {
        RawH2.Frame f = RawH2.read(in);
        if (f.type() == RawH2.GOAWAY) {
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertTrue(ms >= 800 && ms < 4000, "GOAWAY after " + ms + " ms: " + f.errorCode() + " "
              + new String(f.payload(), 8, f.payload().length - 8, java.nio.charset.StandardCharsets.ISO_8859_1));
          return f;
        }
      }
    } catch (IOException e) {
      return null;
    } finally {
      writer.interrupt();
    }
  }

  interface Trickle {
    void run(OutputStream out) throws IOException, InterruptedException;
  }

  /** A HEADERS without END_HEADERS, then a CONTINUATION every 300 ms. */
  static void continuations(OutputStream out, String scheme) throws IOException, InterruptedException {
    RawH2.frame(out, RawH2.HEADERS, RawH2.END_STREAM, 1,
        RawH2.block(":method", "GET", ":scheme", scheme, ":authority", "a", ":path", "/x"));
    for (int i = 0; i < 12; i++) { // fewer than Netty's 16 small CONTINUATIONs: only the deadline ends it
      Thread.sleep(300);
      RawH2.frame(out, RawH2.CONTINUATION, 0, 1, RawH2.block("x-slow-" + i, "y"));
    }
  }

  @Test
  void a_header_block_trickled_in_continuations_ends_the_connection() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.proxyPort())) {
      RawH2.Frame goAway = goAwayWhile(s, out -> continuations(out, "http"));
      assertNotNull(goAway, "no GOAWAY: the trickled block held the connection");
      assertEquals(ENHANCE_YOUR_CALM, goAway.errorCode());
    }
    assertEquals("", upstream.bytes());
  }

  @Test
  void a_headers_frame_whose_payload_trickles_ends_the_connection() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.proxyPort())) {
      RawH2.Frame goAway = goAwayWhile(s, out -> {
        byte[] block = RawH2.block(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/x",
            "x-pad", "y".repeat(40));
        out.write(new byte[] {0, 0, (byte) block.length, RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS,
            0, 0, 0, 1});
        for (int i = 0; i < block.length; i += 4) {
          out.write(Arrays.copyOfRange(block, i, Math.min(block.length, i + 4)));
          out.flush();
          Thread.sleep(300);
        }
      });
      assertNotNull(goAway, "no GOAWAY: the trickled frame held the connection");
      assertEquals(ENHANCE_YOUR_CALM, goAway.errorCode());
    }
  }
}
