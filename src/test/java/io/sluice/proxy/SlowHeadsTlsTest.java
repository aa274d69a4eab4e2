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
import java.io.IOException;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** proxy.header_timeout_ms on the TLS port: HTTP/1.1 (ALPN http/1.1) and h2 alike, as on the plain port. */
class SlowHeadsTlsTest {

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
}
