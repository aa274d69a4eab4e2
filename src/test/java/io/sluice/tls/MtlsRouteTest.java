package io.sluice.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.stream.export.AccessRecord;
import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.sluice.testing.TlsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A route with the mtls policy over real TLS: a client certificate of the route's CA passes and its subject
 * reaches the target; none (or plain HTTP) answers 401; one of another CA, or a subject not allowed, 403.
 */
@ExtendWith(VertxExtension.class)
class MtlsRouteTest {

  private final TestCa serverCa = new TestCa("Server CA");
  private final TestCa clientCa = new TestCa("Client CA");
  private final TestCa otherCa = new TestCa("Other CA");
  private Backend backend;
  private TestDatabase db;
  private TestNode node;
  private Http http;
  private final java.util.concurrent.atomic.AtomicReference<String> forwardedProto =
      new java.util.concurrent.atomic.AtomicReference<>();

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> {
      forwardedProto.set(req.getHeader("X-Forwarded-Proto"));
      req.response().end("subject=" + req.getHeader("X-Client-Cert-Subject"));
    });
    db = TestDatabase.migrated();
    http = new Http(vertx);
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), Map.of("SLUICE_PG_URL", db.url()));
    TestCa.Issued server = serverCa.issue("api.example.test", Duration.ofDays(30), "api.example.test");
    JsonObject cert = post("/certificates", new JsonObject().put("cert", server.certPem()).put("key", server.keyPem()));
    post("/snis", new JsonObject().put("name", "api.example.test").put("certificate", cert.getString("id")));
  }

  @AfterEach
  void stop() {
    node.close();
    db.close();
    backend.close();
  }

  private JsonObject post(String uri, JsonObject body) {
    Http.Reply r = http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.adminPort()).setURI(uri + "?wait=true").putHeader("Content-Type", "application/json"),
        Buffer.buffer(body.encode()));
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private String get(TestCa.Issued clientCert) throws Exception {
    try (TlsClient c = new TlsClient(serverCa.clientContext(clientCert), node.proxyTlsPort(), "api.example.test")) {
      return c.get("api.example.test", "/x");
    }
  }

  @Test
  void a_route_with_mtls_passes_only_clients_with_a_certificate_of_its_ca() throws Exception {
    TestCa.Issued alice = clientCa.issue("alice", Duration.ofDays(30));
    TestCa.Issued mallory = otherCa.issue("mallory", Duration.ofDays(30));
    assertEquals("200 subject=null", get(alice), "no mtls yet: the certificate is asked for, not required");

    post("/plugins", new JsonObject().put("name", "mtls").put("scope", "route").put("route", "all")
        .put("config", new JsonObject().put("ca", clientCa.pem())));
    assertEquals("200 subject=CN=alice", get(alice));
    assertTrue(get(null).startsWith("401 "), "no client certificate");
    assertTrue(get(mallory).startsWith("403 "), "a certificate of another CA");
    assertEquals(401, http.get(node.proxyPort(), "/x").status(), "plain HTTP has no client certificate");

    TestCa.Issued expired = clientCa.issue("old", java.time.Instant.now().minus(Duration.ofDays(10)),
        java.time.Instant.now().minus(Duration.ofDays(1)));
    assertTrue(get(expired).startsWith("403 "), "an expired client certificate");
  }

  @Test
  void the_target_learns_which_listener_the_client_came_to() throws Exception {
    assertEquals("200 subject=null", get(null));
    assertEquals("https", forwardedProto.get());
    assertEquals(200, http.get(node.proxyPort(), "/x").status());
    assertEquals("http", forwardedProto.get());
  }

  @Test
  void a_bad_ca_bundle_is_refused_and_the_subject_goes_to_the_access_record() {
    Http.Reply r = http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.adminPort()).setURI("/plugins").putHeader("Content-Type", "application/json"),
        Buffer.buffer(new JsonObject().put("name", "mtls").put("scope", "route").put("route", "all")
            .put("config", new JsonObject().put("ca", "not a certificate")).encode()));
    assertEquals(400, r.status(), r.text());
    assertTrue(r.text().contains("config.ca"), r.text());

    String json = new String(new AccessRecord("id", 0, "t", "n", "r", "s", null, "GET", "/", 200, 1, 1, 0, 0,
        "127.0.0.1", "rid", "up", null, null, null, "CN=alice", null).toJson(), StandardCharsets.UTF_8);
    assertEquals("CN=alice", new JsonObject(json).getString("client_cert"));
    String without = new String(new AccessRecord("id", 0, "t", "n", "r", "s", null, "GET", "/", 200, 1, 1, 0, 0,
        "127.0.0.1", "rid", "up").toJson(), StandardCharsets.UTF_8);
    assertTrue(!new JsonObject(without).containsKey("client_cert"));
  }
}
