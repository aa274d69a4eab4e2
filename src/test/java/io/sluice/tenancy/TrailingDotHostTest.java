package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestCa;
import io.sluice.testing.TlsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Host with the trailing dot of a fully qualified name ({@code b.test.}, as curl and browsers send what was typed)
 * is the host without it: it reaches the routes of {@code b.test}, never a host-less route of another tenant with
 * the client's API key, over HTTP/1.1 and HTTP/2, plain and TLS. Route b-host (tenant acme, key-auth) has host
 * b.test; route g-any (tenant globex) serves the same path on every host.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrailingDotHostTest {

  private Gateway gw;
  private Backend globex;
  private String key;
  private TestCa ca;
  private Http h2c;
  private Http h2;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    globex = Backend.named(vertx, "globex");
    gw.create("/tenants", new JsonObject().put("name", "globex"));
    gw.create("/services", new JsonObject().put("name", "gsvc").put("tenant", "globex").put("retries", 0)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + globex.port()))));
    gw.create("/routes", new JsonObject().put("name", "g-any").put("service", "gsvc")
        .put("paths", new JsonArray().add("/b")));
    gw.create("/routes", new JsonObject().put("name", "b-host").put("service", "svc")
        .put("hosts", new JsonArray().add("b.test")).put("paths", new JsonArray().add("/b")));
    gw.plugin("key-auth", "b-host", new JsonObject());
    key = gw.key(gw.consumer("alice"));
    ca = new TestCa("Trailing Dot CA");
    TestCa.Issued b = ca.issue("b.test", Duration.ofDays(30), "b.test");
    JsonObject cert = gw.create("/certificates", new JsonObject().put("cert", b.certPem()).put("key", b.keyPem()));
    gw.create("/snis", new JsonObject().put("name", "b.test").put("certificate", cert.getString("id")));
    // A client library may send no server name for "b.test." (the JDK's does not): SNI * answers it.
    TestCa.Issued other = ca.issue("default.test", Duration.ofDays(30), "default.test");
    JsonObject fallback = gw.create("/certificates", new JsonObject().put("cert", other.certPem())
        .put("key", other.keyPem()));
    gw.create("/snis", new JsonObject().put("name", "*").put("certificate", fallback.getString("id")));
    h2c = Http.h2c(vertx);
    h2 = Http.h2(vertx, ca.certPem());
  }

  @AfterAll
  void stop() {
    gw.close();
    globex.close();
  }

  /** A GET of /b/x with alice's key on {@code client}, to {@code port}, naming {@code authority} (host[:port]). */
  private Http.Reply get(Http client, int port, String host) {
    return client.call(new RequestOptions().setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
        .setHost(host).setPort(port).setURI("/b/x").putHeader("apikey", key));
  }

  /** The request reached b-host: acme's backend, with alice authenticated. */
  private void reachedBHost(Http.Reply r, String how) {
    assertEquals(200, r.status(), how + ": " + r.text());
    assertEquals("ok", r.text(), how + ": answered by b-host's target, not globex's");
    assertEquals("alice", gw.last().headers().get("X-Consumer-Username"), how);
  }

  @Test
  void a_host_with_one_trailing_dot_reaches_the_routes_of_the_host_over_http11_and_h2c() {
    int port = gw.node().proxyPort();
    int before = globex.requests.get();
    for (String host : List.of("b.test.", "B.Test.")) {
      reachedBHost(gw.get("/b/x", "Host", host, "apikey", key), "HTTP/1.1 Host: " + host);
      // Passed on as the client sent it, as nginx does: the dot is how the client named the host.
      assertEquals(host, gw.last().headers().get("X-Forwarded-Host"));
      reachedBHost(gw.get("/b/x", "Host", host + ":" + port, "apikey", key), "HTTP/1.1 with a port");
      reachedBHost(get(h2c, port, host), "h2c :authority " + host);
    }
    assertEquals(before, globex.requests.get(), "nothing reached the other tenant's host-less route");
  }

  @Test
  void a_host_with_one_trailing_dot_reaches_the_routes_of_the_host_over_tls_http11_and_h2() throws Exception {
    int tlsPort = gw.node().proxyTlsPort();
    int before = globex.requests.get();
    int acme = gw.backend.completed.size();
    // curl sends the server name without the dot and Host with it.
    try (TlsClient c = new TlsClient(ca.clientContext(null), tlsPort, "b.test")) {
      assertEquals("CN=b.test", c.leaf().getSubjectX500Principal().getName());
      assertEquals(200, c.status("GET /b/x HTTP/1.1\r\nHost: b.test.:" + tlsPort + "\r\napikey: " + key
          + "\r\n\r\n"), "HTTP/1.1 over TLS");
    }
    assertEquals(before, globex.requests.get(), "HTTP/1.1 over TLS did not reach the other tenant's route");
    assertEquals(acme + 1, gw.backend.completed.size(), "HTTP/1.1 over TLS reached b-host's target");
    assertEquals("alice", gw.last().headers().get("X-Consumer-Username"));
    reachedBHost(get(h2, tlsPort, "b.test."), "h2 :authority b.test.");
    assertEquals(before, globex.requests.get(), "nothing reached the other tenant's host-less route");
  }

  @Test
  void an_absolute_form_target_with_a_trailing_dot_names_the_same_host_as_host_without_it() {
    int port = gw.node().proxyPort();
    int before = globex.requests.get();
    for (String[] pair : List.of(new String[] {"b.test.", "b.test"}, new String[] {"B.test", "b.test."},
        new String[] {"b.test.:" + port, "b.test:" + port})) {
      RawHttp.Response r = RawHttp.exchange(port, "GET http://" + pair[0] + "/b/x HTTP/1.1\r\nHost: " + pair[1]
          + "\r\napikey: " + key + "\r\nConnection: close\r\n\r\n").first();
      assertEquals(200, r.status(), "http://" + pair[0] + " with Host " + pair[1] + ": " + r.body());
      assertEquals("alice", gw.last().headers().get("X-Consumer-Username"));
    }
    // Another host, or another port, still differs.
    for (String[] pair : List.of(new String[] {"c.test", "b.test"}, new String[] {"b.test.:1", "b.test:2"})) {
      RawHttp.Response r = RawHttp.exchange(port, "GET http://" + pair[0] + "/b/x HTTP/1.1\r\nHost: " + pair[1]
          + "\r\napikey: " + key + "\r\nConnection: close\r\n\r\n").first();
      assertEquals(400, r.status(), "http://" + pair[0] + " with Host " + pair[1] + ": " + r.body());
      assertTrue(r.body().contains("authority and Host differ"), r.body());
    }
    assertEquals(before, globex.requests.get(), "nothing reached the other tenant's host-less route");
  }

  @Test
  void a_server_name_with_a_trailing_dot_gets_the_certificate_of_the_name_without_it() throws Exception {
    // The JDK's SNIHostName refuses a trailing dot: a server name of type host_name built by hand, as some clients
    // send it.
    SNIServerName dotted = new SNIServerName(StandardConstants.SNI_HOST_NAME,
        "b.test.".getBytes(StandardCharsets.US_ASCII)) {};
    SSLSocket socket = (SSLSocket) ca.clientContext(null).getSocketFactory()
        .createSocket("127.0.0.1", gw.node().proxyTlsPort());
    try (socket) {
      socket.setSoTimeout(10_000);
      SSLParameters p = socket.getSSLParameters();
      p.setServerNames(List.of(dotted));
      socket.setSSLParameters(p);
      socket.startHandshake();
      assertEquals("CN=b.test", ((X509Certificate) socket.getSession().getPeerCertificates()[0])
          .getSubjectX500Principal().getName());
    }
  }

  @Test
  void a_host_with_an_empty_label_is_refused_and_reaches_no_route() {
    int port = gw.node().proxyPort();
    int before = globex.requests.get();
    for (String host : List.of("b.test..", ".b.test", "b..test", ".", "..")) {
      // As nginx does: an empty label names no host, so it never falls to a host-less route with the client's key.
      Http.Reply r = gw.get("/b/x", "Host", host, "apikey", key);
      assertEquals(400, r.status(), "HTTP/1.1 Host: " + host + ": " + r.text());
      assertTrue(r.text().contains("malformed Host header"), r.text());
    }
    Http.Reply h2 = get(h2c, port, "b.test..");
    assertEquals(400, h2.status(), "h2c :authority b.test..: " + h2.text());
    assertEquals(before, globex.requests.get(), "nothing reached the other tenant's host-less route");
  }
}
