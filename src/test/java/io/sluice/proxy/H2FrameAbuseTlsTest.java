package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Every {@link H2FrameAbuseTest} case again on the proxy's TLS port, HTTP/2 agreed by ALPN: the same stream errors,
 * the target never reached, the connection's other streams answered.
 */
class H2FrameAbuseTlsTest extends H2FrameAbuseTest {

  private static final String TOKEN = "abuse-admin-token";
  private final TestCa ca = new TestCa("Abuse Test CA");
  private TestDatabase db;

  @Override
  TestNode startNode(Vertx vertx, int upstreamPort) {
    db = TestDatabase.migrated();
    TestNode node = TestNode.start(TestNode.simpleRoutes(null, upstreamPort),
        Map.of("SLUICE_PG_URL", db.url(), "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_KEYS_HMAC_SECRET", "abuse-secret",
            "SLUICE_TLS_ENGINE", engine()));
    TestCa.Issued leaf = ca.leaf("localhost");
    JsonObject cert = created(vertx, node, "/certificates",
        new JsonObject().put("cert", leaf.certPem()).put("key", leaf.keyPem()));
    created(vertx, node, "/snis", new JsonObject().put("name", "*").put("certificate", cert.getString("id")));
    return node;
  }

  /** tls.engine of the node: BoringSSL, the default; {@link H2FrameAbuseTlsJdkEngineTest} runs the same with the JDK's. */
  String engine() {
    return "openssl";
  }

  private static JsonObject created(Vertx vertx, TestNode node, String uri, JsonObject body) {
    Http.Reply r = new Http(vertx).call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.adminPort()).setURI(uri + "?wait=true").putHeader("Authorization", "Bearer " + TOKEN)
        .putHeader("Content-Type", "application/json"), Buffer.buffer(body.encode()));
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }

  @Override
  void stopNode(TestNode node) {
    super.stopNode(node);
    db.close();
  }

  @Override
  Socket connect(TestNode node) throws IOException {
    SSLSocket s = (SSLSocket) ca.clientContext(null).getSocketFactory().createSocket("127.0.0.1", node.proxyTlsPort());
    SSLParameters p = s.getSSLParameters();
    p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
    s.setSSLParameters(p);
    s.startHandshake();
    assertEquals("h2", s.getApplicationProtocol(), "ALPN on the TLS port");
    return s;
  }

  @Override
  String scheme() {
    return "https";
  }
}
