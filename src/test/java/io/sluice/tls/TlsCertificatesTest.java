package io.sluice.tls;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Certificates as configuration, over real TLS: created through the admin API, chosen by SNI at the
 * handshake, rotated live (the next handshake gets the new one, an open connection keeps working), refused
 * when invalid, and the private key never answered.
 */
@ExtendWith(VertxExtension.class)
class TlsCertificatesTest {

  private static final String TOKEN = "tls-admin-token";

  private final TestCa ca = new TestCa("Sluice Test CA");
  private Backend backend;
  private TestDatabase db;
  private TestNode node;
  private Http http;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response().end("backend " + req.path()));
    db = TestDatabase.migrated();
    http = new Http(vertx);
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), Map.of("SLUICE_PG_URL", db.url(),
        "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_KEYS_ENCRYPTION_SECRET", "tls-test-secret", "SLUICE_TLS_ENGINE", engine()));
  }

  @AfterEach
  void stop() {
    node.close();
    db.close();
    backend.close();
  }

  /** tls.engine of the node: BoringSSL, the default; {@link TlsCertificatesJdkEngineTest} runs the same with the JDK's. */
  String engine() {
    return "openssl";
  }

  /**
   * A fresh client context for every connection: a context caches TLS sessions by address (not by server
   * name), and a resumed session carries the certificate of the handshake it resumes.
   */
  private SSLContext client() {
    return ca.clientContext(null);
  }

  private Http.Reply admin(HttpMethod method, String uri, JsonObject body, Map<String, String> headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + TOKEN);
    headers.forEach(o::putHeader);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    return http.call(o, body == null ? null : Buffer.buffer(body.encode()));
  }

  private JsonObject created(String uri, JsonObject body) {
    Http.Reply r = admin(HttpMethod.POST, uri + "?wait=true", body, Map.of());
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private JsonObject certificate(TestCa.Issued issued) {
    return created("/certificates", new JsonObject().put("cert", issued.certPem()).put("key", issued.keyPem()));
  }

  private void sni(String name, JsonObject cert) {
    created("/snis", new JsonObject().put("name", name).put("certificate", cert.getString("id")));
  }

  private String subjectAt(String serverName) throws Exception {
    try (TlsClient c = new TlsClient(client(), node.proxyTlsPort(), serverName)) {
      return c.leaf().getSubjectX500Principal().getName();
    }
  }

  @Test
  void a_client_sharing_no_cipher_suite_or_speaking_plain_http_is_refused_and_counted_as_such() throws Exception {
    sni("api.example.test", certificate(ca.issue("api.example.test", Duration.ofDays(90), "api.example.test")));
    // TLS 1.2 with a CBC suite only: the default list has AEAD suites only, so nothing is shared.
    SSLSocket socket = (SSLSocket) client().getSocketFactory().createSocket("127.0.0.1", node.proxyTlsPort());
    try (socket) {
      socket.setSoTimeout(10_000);
      SSLParameters p = socket.getSSLParameters();
      p.setServerNames(java.util.List.of(new SNIHostName("api.example.test")));
      p.setProtocols(new String[] {"TLSv1.2"});
      p.setCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"});
      socket.setSSLParameters(p);
      assertThrows(SSLException.class, socket::startHandshake);
    }
    // In the engine's own words: BoringSSL says no shared cipher, the JDK says "no cipher suites in common" both for
    // this and for a name without a certificate (TLS 1.2), hence its combined reason.
    eventually("the refused handshake counted by its reason", () -> admin(HttpMethod.GET, "/metrics", null, Map.of())
        .text().matches("(?s).*sluice_tls_handshake_failures_total\\{listener=\"proxy\",reason=\"(cipher|"
            + "no_certificate_or_cipher)\"} [1-9].*"));
    // Plain HTTP to the TLS port: a reason of its own (a client with the wrong scheme), not "other".
    try (java.net.Socket plain = new java.net.Socket("127.0.0.1", node.proxyTlsPort())) {
      plain.setSoTimeout(10_000);
      plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: api.example.test\r\n\r\n"
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      plain.getOutputStream().flush();
      plain.getInputStream().readAllBytes(); // the listener closes the connection
    }
    eventually("plain HTTP to the TLS port counted as not_tls", () -> admin(HttpMethod.GET, "/metrics", null,
        Map.of()).text().matches("(?s).*sluice_tls_handshake_failures_total\\{listener=\"proxy\",reason=\"not_tls\"}"
        + " [1-9].*"));
  }

  @Test
  void the_handshake_gets_the_certificate_of_the_server_name_and_the_proxy_answers_over_https() throws Exception {
    JsonObject a = certificate(ca.issue("api.example.test", Duration.ofDays(90), "api.example.test"));
    JsonObject w = certificate(ca.issue("wildcard.example.test", Duration.ofDays(90), "*.apps.example.test"));
    sni("api.example.test", a);
    sni("*.apps.example.test", w);

    assertEquals("CN=api.example.test", subjectAt("api.example.test"));
    assertEquals("CN=api.example.test", subjectAt("API.Example.Test"));
    assertEquals("CN=wildcard.example.test", subjectAt("shop.apps.example.test"));
    // No SNI * yet: a name nothing matches (and a client sending no name) is refused at the handshake.
    assertThrows(SSLException.class, () -> subjectAt("other.example.test"));
    assertThrows(SSLException.class, () -> subjectAt("a.b.apps.example.test"));

    JsonObject fallback = certificate(ca.issue("default.example.test", Duration.ofDays(90), "other.example.test"));
    sni("*", fallback);
    assertEquals("CN=default.example.test", subjectAt("other.example.test"));

    try (TlsClient c = new TlsClient(client(), node.proxyTlsPort(), "api.example.test")) {
      assertEquals("200 backend /x", c.get("api.example.test", "/x"));
      assertEquals("200 backend /y", c.get("api.example.test", "/y"), "keep-alive over TLS");
    }
    try (TlsClient c = new TlsClient(client(), node.proxyTlsPort(), "api.example.test")) {
      assertEquals(400, c.status("GET /x HTTP/1.1\r\n\r\n"), "HTTP/1.1 without Host over TLS (RFC 9112 3.2)");
    }
    String metrics = admin(HttpMethod.GET, "/metrics", null, Map.of()).text();
    assertTrue(metrics.contains("sluice_tls_certificate_expiry_seconds{certificate=\"" + a.getString("id")),
        metrics);
    assertTrue(metrics.matches("(?s).*sluice_tls_handshakes_total\\{listener=\"proxy\"} [1-9].*"), metrics);
    // The names nothing matched are counted as such, whichever engine (tls.engine) said so in its own words.
    assertTrue(metrics.matches("(?s).*sluice_tls_handshake_failures_total\\{listener=\"proxy\",reason=\"no_certificate(_or_cipher)?\"} [1-9].*"),
        metrics);
  }

  /** RFC 6066 section 3: a server name the server does not recognize is refused with unrecognized_name (112). */
  @Test
  void a_server_name_no_sni_matches_is_refused_with_the_alert_unrecognized_name() throws Exception {
    sni("api.example.test", certificate(ca.issue("api.example.test", Duration.ofDays(90), "api.example.test")));
    for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
      SSLSocket socket = (SSLSocket) client().getSocketFactory().createSocket("127.0.0.1", node.proxyTlsPort());
      try (socket) {
        socket.setSoTimeout(10_000);
        socket.setEnabledProtocols(new String[] {protocol});
        SSLParameters p = socket.getSSLParameters();
        p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName("other.example.test")));
        socket.setSSLParameters(p);
        SSLException e = assertThrows(SSLException.class, socket::startHandshake);
        assertTrue(String.valueOf(e.getMessage()).contains("unrecognized_name"), engine() + " " + protocol + ": " + e);
      }
    }
    assertEquals("CN=api.example.test", subjectAt("api.example.test"), "a name an SNI matches gets its certificate");
    String metrics = admin(HttpMethod.GET, "/metrics", null, Map.of()).text();
    assertTrue(metrics.matches("(?s).*sluice_tls_handshake_failures_total\\{listener=\"proxy\",reason=\"no_certificate\"} [2-9].*"),
        metrics.lines().filter(l -> l.startsWith("sluice_tls_handshake_failures_total")).toList().toString());
  }

  /** With no SNI *, a client that names no server is refused with handshake_failure by either engine, and counted. */
  @Test
  void a_client_naming_no_server_is_refused_with_handshake_failure_while_no_sni_star_exists() throws Exception {
    sni("api.example.test", certificate(ca.issue("api.example.test", Duration.ofDays(90), "api.example.test")));
    for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
      SSLSocket socket = (SSLSocket) client().getSocketFactory().createSocket("127.0.0.1", node.proxyTlsPort());
      try (socket) {
        socket.setSoTimeout(10_000);
        socket.setEnabledProtocols(new String[] {protocol});
        SSLParameters p = socket.getSSLParameters();
        p.setServerNames(java.util.List.of());
        socket.setSSLParameters(p);
        SSLException e = assertThrows(SSLException.class, socket::startHandshake);
        assertTrue(String.valueOf(e.getMessage()).contains("handshake_failure"), engine() + " " + protocol + ": " + e);
      }
    }
    String metrics = admin(HttpMethod.GET, "/metrics", null, Map.of()).text();
    assertTrue(metrics.matches("(?s).*sluice_tls_handshake_failures_total\\{listener=\"proxy\",reason=\"no_certificate\"} [2-9].*"),
        metrics.lines().filter(l -> l.startsWith("sluice_tls_handshake_failures_total")).toList().toString());
    sni("*", certificate(ca.issue("default.example.test", Duration.ofDays(90), "default.example.test")));
    try (TlsClient c = new TlsClient(client(), node.proxyTlsPort(), null)) {
      assertEquals("CN=default.example.test", c.leaf().getSubjectX500Principal().getName(), "SNI * answers it");
    }
  }

  @Test
  void a_server_name_that_is_no_valid_host_name_gets_the_certificate_of_sni_star() throws Exception {
    sni("*", certificate(ca.issue("default.example.test", Duration.ofDays(90), "default.example.test")));
    // Underscores are common in container service names. The JDK's SNIHostName refuses them (hence a server name
    // of type host_name built by hand), and BoringSSL's session threw from the certificate lookup, failing the
    // handshake with an internal error. The JDK's own engine (tls.engine: jdk) refuses such a name while parsing
    // the ClientHello, before any code of Sluice's runs (docs/tls.md).
    SNIServerName underscored = new SNIServerName(StandardConstants.SNI_HOST_NAME,
        "my_svc.test".getBytes(StandardCharsets.US_ASCII)) {};
    SSLSocket socket = (SSLSocket) client().getSocketFactory().createSocket("127.0.0.1", node.proxyTlsPort());
    try (socket) {
      socket.setSoTimeout(10_000);
      SSLParameters p = socket.getSSLParameters();
      p.setServerNames(java.util.List.of(underscored));
      socket.setSSLParameters(p);
      if ("jdk".equals(engine())) {
        assertThrows(SSLException.class, socket::startHandshake);
        return;
      }
      socket.startHandshake();
      assertEquals("CN=default.example.test", ((java.security.cert.X509Certificate) socket.getSession()
          .getPeerCertificates()[0]).getSubjectX500Principal().getName());
    }
  }

  @Test
  void a_certificate_rotated_through_the_admin_api_is_served_to_the_next_handshake_without_dropping_connections()
      throws Exception {
    JsonObject first = certificate(ca.issue("api.example.test", Duration.ofDays(10), "api.example.test"));
    sni("api.example.test", first);
    try (TlsClient open = new TlsClient(client(), node.proxyTlsPort(), "api.example.test")) {
      String before = Pem.fingerprint(open.leaf());
      assertEquals(first.getString("fingerprint"), before);
      assertEquals("200 backend /before", open.get("api.example.test", "/before"));

      TestCa.Issued next = ca.issue("api.example.test", Duration.ofDays(365), "api.example.test");
      Http.Reply r = admin(HttpMethod.PUT, "/certificates/" + first.getString("id") + "?wait=true",
          new JsonObject().put("cert", next.certPem()).put("key", next.keyPem()), Map.of("If-Match", "1"));
      assertEquals(200, r.status(), r.text());
      String rotated = new JsonObject(r.text()).getString("fingerprint");
      assertFalse(rotated.equals(before));

      try (TlsClient fresh = new TlsClient(client(), node.proxyTlsPort(), "api.example.test")) {
        assertEquals(rotated, Pem.fingerprint(fresh.leaf()), "the next handshake gets the rotated certificate");
        assertEquals("200 backend /fresh", fresh.get("api.example.test", "/fresh"));
      }
      // The connection opened before the rotation is not dropped and keeps its certificate.
      assertEquals("200 backend /after", open.get("api.example.test", "/after"));
      assertEquals(before, Pem.fingerprint(open.leaf()));
    }
  }

  @Test
  void an_expired_certificate_or_a_key_of_another_certificate_is_refused_with_the_field_named() {
    TestCa.Issued expired = ca.issue("old.example.test", Instant.now().minus(Duration.ofDays(30)),
        Instant.now().minus(Duration.ofDays(1)), "old.example.test");
    Http.Reply r = admin(HttpMethod.POST, "/certificates", new JsonObject().put("cert", expired.certPem())
        .put("key", expired.keyPem()), Map.of());
    assertEquals(400, r.status(), r.text());
    assertEquals("cert", field(r));
    assertTrue(r.text().contains("expired"), r.text());

    TestCa.Issued one = ca.issue("one.example.test", Duration.ofDays(30), "one.example.test");
    TestCa.Issued two = ca.issue("two.example.test", Duration.ofDays(30), "two.example.test");
    r = admin(HttpMethod.POST, "/certificates", new JsonObject().put("cert", one.certPem()).put("key", two.keyPem()),
        Map.of());
    assertEquals(400, r.status(), r.text());
    assertEquals("key", field(r));
    assertTrue(r.text().contains("does not match"), r.text());

    r = admin(HttpMethod.POST, "/certificates", new JsonObject().put("cert", "-----BEGIN CERTIFICATE-----\nAAAA\n"
        + "-----END CERTIFICATE-----\n").put("key", one.keyPem()), Map.of());
    assertEquals(400, r.status(), r.text());
    assertEquals("cert", field(r));

    r = admin(HttpMethod.POST, "/snis", new JsonObject().put("name", "bad name").put("certificate",
        "00000000-0000-0000-0000-000000000000"), Map.of());
    assertEquals(400, r.status(), r.text());
    assertEquals(0, new JsonObject(admin(HttpMethod.GET, "/certificates", null, Map.of()).text())
        .getJsonArray("data").size(), "nothing written");
  }

  @Test
  void a_certificate_valid_only_from_a_later_date_and_an_sni_naming_an_ip_address_are_refused_with_the_field_named() {
    TestCa.Issued future = ca.issue("later.example.test", Instant.parse("2030-01-01T00:00:00Z"),
        Instant.parse("2031-01-01T00:00:00Z"), "later.example.test");
    Http.Reply r = admin(HttpMethod.POST, "/certificates", new JsonObject().put("cert", future.certPem())
        .put("key", future.keyPem()), Map.of());
    assertEquals(400, r.status(), r.text());
    assertEquals("cert", field(r));
    assertTrue(r.text().contains("not valid before 2030-01-01T00:00:00Z"), r.text());
    // Within the clock skew allowed (an hour): a CA whose clock runs a few minutes ahead of ours.
    TestCa.Issued skewed = ca.issue("skew.example.test", Instant.now().plus(Duration.ofMinutes(10)),
        Instant.now().plus(Duration.ofDays(30)), "skew.example.test");
    JsonObject cert = certificate(skewed);

    for (String address : new String[] {"127.0.0.1", "::1", "10.1", "*.0.0.1"}) {
      r = admin(HttpMethod.POST, "/snis", new JsonObject().put("name", address).put("certificate",
          cert.getString("id")), Map.of());
      assertEquals(400, r.status(), address + ": " + r.text());
      assertEquals("name", field(r), r.text());
    }
    assertTrue(r.text().contains("RFC 6066"), r.text());
    assertEquals(0, new JsonObject(admin(HttpMethod.GET, "/snis", null, Map.of()).text()).getJsonArray("data").size());
    sni("api.2.example.test", cert);
  }

  @Test
  void the_private_key_is_never_answered_and_stored_only_sealed() throws Exception {
    TestCa.Issued issued = ca.issue("secret.example.test", Duration.ofDays(30), "secret.example.test");
    JsonObject cert = certificate(issued);
    sni("secret.example.test", cert);
    String keyBody = issued.keyPem().lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    for (String uri : new String[] {"/certificates", "/certificates/" + cert.getString("id"), "/snis", "/config"}) {
      String answer = admin(HttpMethod.GET, uri, null, Map.of()).text();
      assertFalse(answer.contains("PRIVATE KEY"), uri + ": " + answer);
      assertFalse(answer.contains(keyBody), uri);
      assertFalse(answer.contains("key_enc"), uri);
    }
    assertFalse(cert.containsKey("key"));
    assertEquals(new JsonArray().add("secret.example.test"), cert.getJsonArray("names"));
    // In the database only the sealed form: the PEM text and the key's DER bytes appear nowhere.
    String stored = db.queryString("select encode(key_enc, 'base64') || cert from certificates");
    assertFalse(stored.contains(keyBody));
    assertFalse(stored.contains("PRIVATE KEY"));
    // A delete of a certificate an SNI names is refused; after the SNI goes, the certificate can go.
    Http.Reply r = admin(HttpMethod.DELETE, "/certificates/" + cert.getString("id"), null, Map.of());
    assertEquals(409, r.status(), r.text());
  }

  private static String field(Http.Reply r) {
    return new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0).getString("field");
  }
}
