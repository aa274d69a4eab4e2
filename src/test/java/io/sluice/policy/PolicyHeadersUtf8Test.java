package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.sluice.testing.TlsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Header values a policy writes beyond Latin-1 go as their UTF-8 bytes ({@link HeaderValues}), as the consumer
 * headers do, never as {@code ?}: a request-transformer's and a response-transformer's configured values, and the
 * subject of a client certificate the mtls policy sends upstream.
 */
@ExtendWith(VertxExtension.class)
class PolicyHeadersUtf8Test {

  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  /** A header value's octets (one char per byte, as a server decodes them) read as UTF-8. */
  private static String utf8(String octets) {
    assertNotNull(octets);
    return new String(octets.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  @Test
  void transformer_header_values_beyond_latin1_go_as_utf8() {
    gw.plugin("request-transformer", "api", new JsonObject()
        .put("add", new JsonObject().put("headers", new JsonObject().put("X-Team", "团队-α").put("X-Town", "Zürich")))
        .put("replace", new JsonObject().put("headers", new JsonObject().put("X-Who", "张三"))));
    gw.plugin("response-transformer", "api", new JsonObject()
        .put("add", new JsonObject().put("headers", new JsonObject().put("X-Served-By", "节点-1"))));
    Http.Reply r = gw.get("/api/x", "X-Who", "someone");
    assertEquals(200, r.status(), r.text());
    assertEquals("团队-α", utf8(gw.last().headers().get("X-Team")));
    assertEquals("Zürich", utf8(gw.last().headers().get("X-Town")), "Latin-1 goes as UTF-8 too");
    assertEquals("张三", utf8(gw.last().headers().get("X-Who")));
    assertEquals("节点-1", utf8(r.header("X-Served-By")));
  }

  @Test
  void a_client_certificate_subject_beyond_latin1_goes_upstream_as_utf8() throws Exception {
    TestCa serverCa = new TestCa("Server CA");
    TestCa clientCa = new TestCa("Client CA");
    TestCa.Issued server = serverCa.issue("api.example.test", Duration.ofDays(30), "api.example.test");
    JsonObject cert = gw.create("/certificates", new JsonObject().put("cert", server.certPem())
        .put("key", server.keyPem()));
    gw.create("/snis", new JsonObject().put("name", "api.example.test").put("certificate", cert.getString("id")));
    gw.plugin("mtls", "api", new JsonObject().put("ca", clientCa.pem()));
    TestCa.Issued zhang = clientCa.issue("张三", Duration.ofDays(30));
    try (TlsClient c = new TlsClient(serverCa.clientContext(zhang), gw.node().proxyTlsPort(), "api.example.test")) {
      String answer = c.get("api.example.test", "/api/x");
      assertEquals("200", answer.substring(0, 3), answer);
    }
    assertEquals("CN=张三", utf8(gw.last().headers().get("X-Client-Cert-Subject")));
  }
}
