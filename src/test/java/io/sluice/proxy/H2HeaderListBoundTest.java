package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.sluice.testing.RawH2;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A header list between proxy.max_header_bytes and 4 times it fails only its own stream (431, then RST_STREAM), as
 * docs/http2-grpc.md says; Netty's own bound (1.25 times) would end the connection with GOAWAY and take a slow
 * stream in flight on it down too. Raw frames on h2c, after the SETTINGS exchange (Netty resets the bound then).
 */
class H2HeaderListBoundTest {

  private static final int DATA = 0;

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
  void a_list_of_twice_the_limit_fails_its_stream_and_a_slow_stream_beside_it_completes() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.proxyPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      settingsExchanged(out, in);
      List<String> seen = new ArrayList<>();
      // Stream 1: a POST whose body comes later.
      RawH2.frame(out, RawH2.HEADERS, RawH2.END_HEADERS, 1, RawH2.block(":method", "POST", ":scheme", "http",
          ":authority", "a", ":path", "/slow", "content-length", "2"));
      // Stream 3: a list of about twice the default 16384 bytes, in one HEADERS and CONTINUATIONs.
      byte[] big = RawH2.block(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/big",
          "x-a", "a".repeat(12000), "x-b", "b".repeat(12000), "x-c", "c".repeat(8000));
      int half = big.length / 2;
      RawH2.frame(out, RawH2.HEADERS, RawH2.END_STREAM, 3, java.util.Arrays.copyOfRange(big, 0, half));
      RawH2.frame(out, RawH2.CONTINUATION, RawH2.END_HEADERS, 3, java.util.Arrays.copyOfRange(big, half, big.length));
      String three = null;
      while (three == null) {
        RawH2.Frame f = RawH2.read(in);
        seen.add(f.type() + "/" + f.stream());
        assertNotEquals(RawH2.GOAWAY, f.type(), "the connection went down: " + goAwayText(f) + " " + seen);
        if (f.stream() == 3 && f.type() == RawH2.HEADERS) {
          three = "headers";
        } else if (f.stream() == 3 && f.type() == RawH2.RST_STREAM) {
          three = "reset";
        }
      }
      // Stream 1 still completes.
      RawH2.frame(out, DATA, RawH2.END_STREAM, 1, "ok".getBytes());
      boolean oneAnswered = false;
      while (!oneAnswered) {
        RawH2.Frame f = RawH2.read(in);
        seen.add(f.type() + "/" + f.stream());
        assertNotEquals(RawH2.GOAWAY, f.type(), "the connection went down: " + goAwayText(f) + " " + seen);
        oneAnswered = f.stream() == 1 && f.type() == RawH2.HEADERS;
      }
      assertEquals("headers", three, "stream 3 is answered (431) before its reset: " + seen);
    }
    assertEquals(1, upstream.heads.size(), "only the slow stream reached the target: " + upstream.heads);
  }

  /**
   * grpc-js sends content-type after the call's own metadata. A list over the limit is still decoded whole (up to 4
   * times it), so the refusal sees the call is gRPC and answers INVALID_ARGUMENT; Netty's own 431 (which it gave on
   * h2c once its 1.25 bound was back) has no grpc-status, and grpc-js reads it as UNKNOWN.
   */
  @Test
  void an_oversize_grpc_call_with_content_type_last_gets_invalid_argument() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.proxyPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      settingsExchanged(out, in);
      byte[] list = RawH2.block(":method", "POST", ":scheme", "http", ":authority", "a",
          ":path", "/pkg.Service/Method", "te", "trailers", "x-meta-bin", "m".repeat(17000),
          "content-type", "application/grpc");
      int half = list.length / 2;
      RawH2.frame(out, RawH2.HEADERS, RawH2.END_STREAM, 1, java.util.Arrays.copyOfRange(list, 0, half));
      RawH2.frame(out, RawH2.CONTINUATION, RawH2.END_HEADERS, 1, java.util.Arrays.copyOfRange(list, half, list.length));
      io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder decoder =
          new io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder(false);
      java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
      List<String> heads = new ArrayList<>();
      while (true) {
        RawH2.Frame f = RawH2.read(in);
        assertNotEquals(RawH2.GOAWAY, f.type(), goAwayText(f));
        if ((f.type() == RawH2.HEADERS || f.type() == RawH2.CONTINUATION) && f.stream() == 1) {
          int skip = f.type() == RawH2.HEADERS && (f.flags() & 0x20) != 0 ? 5 : 0; // PRIORITY
          block.write(f.payload(), skip, f.payload().length - skip);
          if ((f.flags() & RawH2.END_HEADERS) != 0) {
            io.netty.handler.codec.http2.Http2Headers h =
                decoder.decodeHeaders(1, io.netty.buffer.Unpooled.wrappedBuffer(block.toByteArray()));
            block.reset();
            heads.add(h.toString());
            if (h.get("grpc-status") != null) {
              assertEquals("3", h.get("grpc-status").toString(), heads.toString());
              return;
            }
          }
        }
        if (f.stream() == 1 && (f.type() == RawH2.RST_STREAM || (f.flags() & RawH2.END_STREAM) != 0)) {
          throw new AssertionError("stream 1 ended without a grpc-status: " + heads);
        }
      }
    }
  }

  /** The preface, then both SETTINGS acknowledged (after which Netty puts its own bound back). */
  private static void settingsExchanged(OutputStream out, DataInputStream in) throws java.io.IOException {
    RawH2.open(out);
    boolean acked = false;
    boolean ours = false;
    while (!(acked && ours)) {
      RawH2.Frame f = RawH2.read(in);
      if (f.type() == RawH2.SETTINGS && (f.flags() & 1) == 0) {
        RawH2.frame(out, RawH2.SETTINGS, 1, 0, new byte[0]);
        acked = true;
      } else if (f.type() == RawH2.SETTINGS) {
        ours = true;
      }
    }
  }

  private static String goAwayText(RawH2.Frame f) {
    return f.type() != RawH2.GOAWAY ? "" : new String(f.payload(), 8, f.payload().length - 8,
        java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
