package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.RawH2;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * proxy.header_timeout_ms on the TLS port: HTTP/1.1 (ALPN http/1.1) and h2 alike, as on the plain port; and, since a
 * TLS record trickled shows no byte to a decoder until it is whole, counted from the connection's accept until the
 * first head is read (the handshake included).
 */
class SlowHeadsTlsTest {

  /** Between two bytes of a trickled record: slow enough that none of the records here is whole within 3 s. */
  private static final long BYTE_EVERY_MS = 100;

  private final TestCa ca = new TestCa("Slow Heads Test CA");
  private Vertx vertx;
  private Gateway gw;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    gw = new Gateway(vertx, Map.of("SLUICE_PROXY_HEADER_TIMEOUT_MS", "1000"));
    TestCa.Issued leaf = ca.leaf("localhost");
    JsonObject cert = gw.create("/certificates",
        new JsonObject().put("cert", leaf.certPem()).put("key", leaf.keyPem()));
    gw.create("/snis", new JsonObject().put("name", "*").put("certificate", cert.getString("id")));
  }

  @AfterEach
  void stop() {
    gw.close();
    vertx.close().await();
  }

  private SSLSocket connect(String protocol) throws IOException {
    SSLSocket s = (SSLSocket) ca.clientContext(null).getSocketFactory().createSocket("127.0.0.1",
        gw.node().proxyTlsPort());
    SSLParameters p = s.getSSLParameters();
    p.setApplicationProtocols(new String[] {protocol});
    s.setSSLParameters(p);
    s.startHandshake();
    assertEquals(protocol, s.getApplicationProtocol());
    return s;
  }

  @Test
  void a_head_trickled_over_tls_is_answered_408() throws IOException {
    try (SSLSocket s = connect("http/1.1")) {
      String[] lines = new String[20];
      lines[0] = "GET /open/x HTTP/1.1\r\nHost: localhost\r\n";
      for (int i = 1; i < lines.length; i++) {
        lines[i] = "X-Slow-" + i + ": y\r\n";
      }
      String answer = SlowHeadsTest.trickle(s, 250, lines);
      assertTrue(answer.startsWith("HTTP/1.1 408"), RawHttp.escape(answer));
    }
  }

  @Test
  void a_header_block_trickled_over_h2_ends_the_connection() throws Exception {
    try (SSLSocket s = connect("h2")) {
      RawH2.Frame goAway = SlowHeadsH2Test.goAwayWhile(s, out -> SlowHeadsH2Test.continuations(out, "https"));
      assertNotNull(goAway, "no GOAWAY: the trickled block held the connection");
      assertEquals(0xb, goAway.errorCode());
    }
  }

  /**
   * A ClientHello a byte at a time: the connection is closed once proxy.header_timeout_ms (1 s here) passed since it
   * was accepted, not after Vert.x's handshake timeout (10 s), the only bound before.
   */
  @Test
  void a_client_hello_trickled_is_closed_after_the_header_timeout() throws Exception {
    SSLEngine client = ca.clientContext(null).createSSLEngine("localhost", gw.node().proxyTlsPort());
    client.setUseClientMode(true);
    ByteBuffer hello = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
    client.wrap(ByteBuffer.allocate(0), hello);
    hello.flip();
    byte[] bytes = new byte[hello.remaining()];
    hello.get(bytes);
    assertTrue(bytes.length > 40, "a ClientHello of " + bytes.length + " bytes");
    try (Socket s = new Socket("127.0.0.1", gw.node().proxyTlsPort())) {
      long closedAfter = trickleUntilClosed(s, bytes, 6000);
      assertTrue(closedAfter >= 0, "still open after 6 s, " + bytes.length + " bytes trickled");
      assertTrue(closedAfter < 3000, "closed after " + closedAfter + " ms, not at the header timeout");
    }
  }

  /**
   * The first request's record trickled after a quick handshake: no byte of it decrypts until it is whole, so the head
   * deadline armed by a head begun never started; the one armed at the handshake answers 408 in time.
   */
  @Test
  void a_first_request_record_trickled_over_tls_is_answered_408() throws Exception {
    try (Trickled t = new Trickled(gw.node().proxyTlsPort(), "http/1.1")) {
      long start = System.nanoTime();
      t.tls.getOutputStream().write("GET /open/x HTTP/1.1\r\nHost: localhost\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1)); // one record, a byte every 100 ms: about 6 s
      t.tls.setSoTimeout(5000);
      String answer = new String(t.tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(answer.startsWith("HTTP/1.1 408"), RawHttp.escape(answer));
      assertTrue(answer.contains("did not arrive whole within 1000 ms"), answer);
      assertTrue(ms < 3000, "answered after " + ms + " ms");
    }
  }

  /** The same over h2: the record with the client's preface and SETTINGS trickled ends the connection with GOAWAY. */
  @Test
  void an_h2_preface_record_trickled_ends_the_connection() throws Exception {
    try (Trickled t = new Trickled(gw.node().proxyTlsPort(), "h2")) {
      long start = System.nanoTime();
      java.io.ByteArrayOutputStream opening = new java.io.ByteArrayOutputStream();
      RawH2.open(opening);
      t.tls.getOutputStream().write(opening.toByteArray()); // one record, about 5 s trickled
      t.tls.setSoTimeout(5000);
      DataInputStream in = new DataInputStream(t.tls.getInputStream());
      RawH2.Frame f = RawH2.read(in);
      while (f.type() != RawH2.GOAWAY) {
        f = RawH2.read(in); // the server's SETTINGS come first
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(0xb, f.errorCode(), "ENHANCE_YOUR_CALM");
      assertTrue(ms < 3000, "GOAWAY after " + ms + " ms");
    }
  }

  /** Writes {@code bytes} one every {@link #BYTE_EVERY_MS}: how long after the first the server closed, or -1. */
  private static long trickleUntilClosed(Socket s, byte[] bytes, long giveUpMs) throws IOException {
    long start = System.nanoTime();
    s.setSoTimeout((int) BYTE_EVERY_MS);
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    for (int i = 0; (System.nanoTime() - start) / 1_000_000 < giveUpMs; i++) {
      try {
        if (i < bytes.length) {
          out.write(bytes[i]);
          out.flush();
        }
        if (in.read() < 0) {
          return (System.nanoTime() - start) / 1_000_000;
        }
      } catch (SocketTimeoutException stillOpen) {
        // nothing from the server yet
      } catch (IOException reset) {
        return (System.nanoTime() - start) / 1_000_000;
      }
    }
    return -1;
  }

  /**
   * A TLS client over a socket that passes the handshake through at once, then trickles each record written, a byte
   * every {@link #BYTE_EVERY_MS}, from a thread of its own: the client's write returns, and its reads see the answer.
   */
  private final class Trickled implements AutoCloseable {
    final SSLSocket tls;
    private final Slow plain;

    Trickled(int port, String protocol) throws IOException {
      plain = new Slow(port);
      tls = (SSLSocket) ca.clientContext(null).getSocketFactory().createSocket(plain, "localhost", port, true);
      SSLParameters p = tls.getSSLParameters();
      p.setApplicationProtocols(new String[] {protocol});
      tls.setSSLParameters(p);
      tls.startHandshake();
      assertEquals(protocol, tls.getApplicationProtocol());
      plain.trickling = true;
    }

    @Override
    public void close() throws IOException {
      plain.writer.interrupt();
      tls.close();
    }
  }

  private static final class Slow extends Socket {
    volatile boolean trickling;
    private final BlockingQueue<Integer> pending = new LinkedBlockingQueue<>();
    private final OutputStream direct;
    final Thread writer;
    private final OutputStream out = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (!trickling) {
          direct.write(b, off, len);
          return;
        }
        for (int i = off; i < off + len; i++) {
          pending.add(b[i] & 0xff);
        }
      }

      @Override
      public void flush() throws IOException {
        if (!trickling) {
          direct.flush();
        }
      }
    };

    Slow(int port) throws IOException {
      super("127.0.0.1", port);
      direct = super.getOutputStream();
      writer = new Thread(() -> {
        try {
          while (true) {
            direct.write(pending.take());
            direct.flush();
            Thread.sleep(BYTE_EVERY_MS);
          }
        } catch (IOException | InterruptedException ended) {
          // the server closed, or the test is over
        }
      });
      writer.setDaemon(true);
      writer.start();
    }

    @Override
    public OutputStream getOutputStream() {
      return out;
    }
  }
}
