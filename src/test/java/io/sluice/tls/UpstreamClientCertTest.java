package io.sluice.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.junit5.VertxExtension;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * mTLS to upstreams: an HTTPS target that requires a client certificate of a CA made here. A service naming a
 * certificate entity (tls.client_certificate) gets through and the target sees that certificate's subject; a
 * service naming none is answered 502 (the reason logged, never told to the client); a rotation of the entity is
 * presented on the next upstream connection; a reference to a certificate that does not exist is refused 400
 * naming the field, and a certificate still named cannot be deleted (409).
 */
@ExtendWith(VertxExtension.class)
class UpstreamClientCertTest {

  private final TestCa ca = new TestCa("Upstream mTLS CA");
  private Gateway gw;
  private HttpServer target;

  @BeforeEach
  void start(Vertx vertx) {
    TestCa.Issued server = ca.leaf("localhost");
    // Each answer closes its connection: every request opens (and handshakes) a new upstream connection.
    target = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
            .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(server.certPem()))
                .addKeyValue(Buffer.buffer(server.keyPem())))
            .setClientAuth(ClientAuth.REQUIRED)
            .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(ca.certPem()))))
        .requestHandler(req -> {
          String subject;
          try {
            subject = ((X509Certificate) req.connection().sslSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName();
          } catch (SSLPeerUnverifiedException e) {
            subject = "none";
          }
          req.response().putHeader("Connection", "close").end(subject);
        });
    target.listen().await();
    gw = new Gateway(vertx, Map.of("SLUICE_KEYS_ENCRYPTION_SECRET", "upstream-mtls-secret"));
  }

  @AfterEach
  void stop() {
    gw.close();
    target.close().await();
  }

  private JsonObject certificate(String cn) {
    TestCa.Issued client = ca.issue(cn, Duration.ofDays(30), cn);
    return gw.create("/certificates", new JsonObject().put("cert", client.certPem()).put("key", client.keyPem()));
  }

  private JsonObject service(String name, String clientCertificate) {
    JsonObject tls = new JsonObject().put("ca_bundle", ca.certPem());
    if (clientCertificate != null) {
      tls.put("client_certificate", clientCertificate);
    }
    return new JsonObject().put("name", name).put("retries", 0).put("tls", tls)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "https://localhost:" + target.actualPort())));
  }

  private void routeTo(String name, String clientCertificate) {
    gw.create("/services", service(name, clientCertificate));
    gw.create("/routes", new JsonObject().put("name", name).put("service", name)
        .put("paths", new JsonArray().add("/" + name)));
  }

  @Test
  void the_named_certificate_is_presented_and_a_rotation_applies_to_the_next_connection() {
    JsonObject cert = certificate("sluice-client-1");
    routeTo("with", cert.getString("id"));
    Http.Reply r = gw.get("/with/x");
    assertEquals(200, r.status(), r.text());
    assertEquals("CN=sluice-client-1", r.text());

    TestCa.Issued rotated = ca.issue("sluice-client-2", Duration.ofDays(30), "sluice-client-2");
    Http.Reply put = gw.admin(HttpMethod.PUT, "/certificates/" + cert.getString("id"),
        new JsonObject().put("cert", rotated.certPem()).put("key", rotated.keyPem()),
        "If-Match", String.valueOf(cert.getLong("version")));
    assertEquals(200, put.status(), put.text());
    Http.Reply after = gw.get("/with/y");
    assertEquals(200, after.status(), after.text());
    assertEquals("CN=sluice-client-2", after.text(), "the rotated certificate on the next upstream connection");

    Http.Reply delete = gw.admin(HttpMethod.DELETE, "/certificates/" + cert.getString("id"), null);
    assertEquals(409, delete.status(), "a certificate a service names stays: " + delete.text());
  }

  @Test
  void without_a_client_certificate_the_target_refuses_and_the_answer_is_502_with_the_reason_logged() {
    routeTo("without", null);
    Logger attempt = (Logger) LoggerFactory.getLogger("io.sluice.proxy");
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    attempt.addAppender(logs);
    Http.Reply r;
    try (io.sluice.testing.CapturedLogs errors = io.sluice.testing.CapturedLogs.of(ch.qos.logback.classic.Level.ERROR,
        "io.vertx")) {
      try {
        r = gw.get("/without/x");
      } finally {
        attempt.detachAppender(logs);
      }
      // The target's alert (TLS 1.3: after the client's side of the handshake) is the attempt's failure, logged at
      // warn with it; Vert.x logged it a second time at ERROR as an unhandled exception of the connection.
      assertEquals(List.of(), errors.atLeast(ch.qos.logback.classic.Level.ERROR), "no ERROR line besides the warning");
    }
    assertEquals(502, r.status(), r.text());
    String message = new JsonObject(r.text()).getJsonObject("error").getString("message");
    assertTrue(!message.contains("localhost") && !message.contains(Integer.toString(target.actualPort())),
        "the client is not told where the target is: " + message);
    assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("localhost:" + target.actualPort())),
        "the reason is logged: " + logs.list);
  }

  @Test
  void a_reference_to_no_certificate_of_the_tenant_is_refused_naming_the_field() {
    Http.Reply r = gw.admin(HttpMethod.POST, "/services", service("ghost", "00000000-0000-4000-8000-000000000000"));
    assertEquals(400, r.status(), r.text());
    assertTrue(r.text().contains("tls.client_certificate"), r.text());
    Http.Reply notId = gw.admin(HttpMethod.POST, "/services", service("not-an-id", "my-cert"));
    assertEquals(400, notId.status(), notId.text());
    assertTrue(notId.text().contains("tls.client_certificate"), notId.text());
  }

  @Test
  void a_certificate_a_service_presents_cannot_move_to_another_tenant_by_api_file_or_sql() {
    gw.create("/tenants", new JsonObject().put("name", "alpha"));
    gw.create("/tenants", new JsonObject().put("name", "beta"));
    TestCa.Issued client = ca.issue("alpha-client", Duration.ofDays(30), "alpha-client");
    JsonObject cert = gw.create("/certificates", new JsonObject().put("name", "alpha-client")
        .put("cert", client.certPem()).put("key", client.keyPem()).put("tenant", "alpha"));
    String id = cert.getString("id");
    gw.create("/services", service("billing", id).put("tenant", "alpha"));
    long before = gw.db.configVersion();

    Http.Reply patch = gw.admin(HttpMethod.PATCH, "/certificates/" + id, new JsonObject().put("tenant", "beta")
        .put("key", client.keyPem()), "If-Match", String.valueOf(cert.getLong("version")));
    assertEquals(409, patch.status(), patch.text());
    JsonObject field = new JsonObject(patch.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("tenant", field.getString("field"), patch.text());
    assertTrue(field.getString("reason").contains("billing"), patch.text());

    JsonObject file = new JsonObject(gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").text());
    JsonArray certs = file.getJsonArray("certificates");
    int at = 0;
    while (!"alpha-client".equals(certs.getJsonObject(at).getString("name"))) {
      at++;
    }
    certs.getJsonObject(at).put("tenant", "beta");
    Http.Reply put = gw.admin(HttpMethod.PUT, "/config", file);
    assertEquals(409, put.status(), put.text());
    JsonObject putField = new JsonObject(put.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("certificates[" + at + "].tenant", putField.getString("field"), put.text());
    assertTrue(putField.getString("reason").contains("billing"), put.text());

    IllegalStateException sql = assertThrows(IllegalStateException.class, () -> gw.db.transaction(
        "update certificates set tenant_id = (select id from tenants where name = 'beta') where id = '" + id + "'"));
    assertTrue(sql.getMessage().contains("billing"), sql.getMessage());
    assertEquals(before, gw.db.configVersion(), "nothing written");
    assertEquals("alpha", gw.db.queryString("select t.name from certificates c join tenants t on t.id = c.tenant_id"
        + " where c.id = '" + id + "'"));

    // Moved with the service that presents it, in one transaction: the rule holds at commit.
    gw.db.transaction(
        "update certificates set tenant_id = (select id from tenants where name = 'beta') where id = '" + id + "'",
        "update services set tenant_id = (select id from tenants where name = 'beta') where name = 'billing'");
    assertEquals("beta", gw.db.queryString("select t.name from certificates c join tenants t on t.id = c.tenant_id"
        + " where c.id = '" + id + "'"));
  }
}
