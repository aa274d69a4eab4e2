package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TlsClient;
import io.sluice.tls.Pem;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A certificate created through one node's admin API and rotated through another's is served by every node of
 * a three-node cluster to the next handshake, once /cluster/sync says the version is applied everywhere.
 */
class ClusterTlsTest {

  private static Vertx vertx;
  private static TestDatabase db;
  private static Backend backend;
  private static ClusterNodes cluster;
  private static final TestCa CA = new TestCa("Cluster CA");

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    db = TestDatabase.create();
    backend = Backend.start(vertx, req -> req.response().end("ok"));
    cluster = new ClusterNodes(new Http(vertx), 3, db.url(), """
        format_version: 1
        services:
          - name: svc
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: all, service: svc, paths: ["/"]}
        """.formatted(backend.port()), Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.close();
    backend.close();
    db.close();
    vertx.close().await();
  }

  private static JsonObject write(int node, HttpMethod method, String uri, JsonObject body, int expected) {
    var r = cluster.admin(node, method, uri, body);
    assertEquals(expected, r.status(), r.text());
    assertEquals(200, cluster.admin(0, HttpMethod.GET, "/cluster/sync?version=" + r.header("Sluice-Config-Version")
        + "&timeout=30s", null).status());
    return new JsonObject(r.text());
  }

  private static String servedBy(int node) throws Exception {
    try (TlsClient c = new TlsClient(CA.clientContext(null), cluster.node(node).proxyTlsPort(), "pay.example.test")) {
      assertEquals("200 ok", c.get("pay.example.test", "/"));
      return Pem.fingerprint(c.leaf());
    }
  }

  @Test
  void a_certificate_rotated_through_one_node_is_served_by_every_node_to_the_next_handshake() throws Exception {
    TestCa.Issued first = CA.issue("pay.example.test", Duration.ofDays(20), "pay.example.test");
    JsonObject cert = write(0, HttpMethod.POST, "/certificates", new JsonObject().put("cert", first.certPem())
        .put("key", first.keyPem()), 201);
    write(2, HttpMethod.POST, "/snis", new JsonObject().put("name", "pay.example.test")
        .put("certificate", cert.getString("id")), 201);
    for (int i = 0; i < 3; i++) {
      assertEquals(cert.getString("fingerprint"), servedBy(i), "node " + i);
    }

    TestCa.Issued next = CA.issue("pay.example.test", Duration.ofDays(400), "pay.example.test");
    var put = cluster.http.call(new io.vertx.core.http.RequestOptions().setMethod(HttpMethod.PUT)
        .setHost("127.0.0.1").setPort(cluster.node(1).adminPort()).setURI("/certificates/" + cert.getString("id"))
        .putHeader("Authorization", "Bearer " + ClusterNodes.TOKEN).putHeader("Content-Type", "application/json")
        .putHeader("If-Match", "1"), io.vertx.core.buffer.Buffer.buffer(new JsonObject().put("cert", next.certPem())
        .put("key", next.keyPem()).encode()));
    assertEquals(200, put.status(), put.text());
    assertEquals(200, cluster.admin(0, HttpMethod.GET, "/cluster/sync?version=" + put.header("Sluice-Config-Version")
        + "&timeout=30s", null).status());
    String rotated = new JsonObject(put.text()).getString("fingerprint");
    assertNotEquals(cert.getString("fingerprint"), rotated);
    for (int i = 0; i < 3; i++) {
      assertEquals(rotated, servedBy(i), "node " + i + " serves the rotated certificate to the next handshake");
    }
  }
}
