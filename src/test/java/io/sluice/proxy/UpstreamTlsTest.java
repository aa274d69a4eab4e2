package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Targets over TLS (https://, h2://) and HTTP/2 in the clear (h2c://), against real Vert.x backends with
 * certificates from a CA made in the test: verified against the service's CA bundle with the target's host as
 * SNI, HTTP/2 where the scheme says so, and a certificate that is not trusted or not for the host refused with
 * 502 and its reason, unless the service turned verification off.
 */
@ExtendWith(VertxExtension.class)
class UpstreamTlsTest {

  private final List<HttpServer> servers = new ArrayList<>();
  private TestNode node;
  private Http http;

  private int backend(Vertx vertx, TestCa.Issued leaf, boolean alpn) {
    return backend(vertx, "127.0.0.1", leaf, alpn);
  }

  /** A backend answering "version sni" (the protocol it was spoken to in, and the server name the client sent). */
  private int backend(Vertx vertx, String host, TestCa.Issued leaf, boolean alpn) {
    HttpServerOptions o = new HttpServerOptions().setHost(host).setPort(0);
    if (leaf != null) {
      o.setSsl(true).setSni(true).setUseAlpn(alpn)
          .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(leaf.certPem()))
              .addKeyValue(Buffer.buffer(leaf.keyPem())));
    }
    HttpServer s = vertx.createHttpServer(o).requestHandler(req -> req.body().onSuccess(b ->
        req.response().end(req.version() + " " + (req.isSSL() ? req.connection().indicatedServerName() : null) + " "
            + b.length())));
    s.listen().await();
    servers.add(s);
    return s.actualPort();
  }

  private static String service(String name, String address, String tls) {
    return "  - name: " + name + "\n    retries: 0\n    targets:\n      - address: " + address + "\n"
        + (tls == null ? "" : "    tls:\n" + tls.indent(6));
  }

  private static String route(String name) {
    return "  - name: " + name + "\n    service: " + name + "\n    paths: [\"/" + name + "\"]\n";
  }

  private static String bundle(TestCa ca) {
    return "ca_bundle: |\n" + ca.certPem().indent(2);
  }

  @BeforeEach
  void start(Vertx vertx) {
    TestCa ca = TestCa.create("Sluice Test CA");
    TestCa stranger = TestCa.create("Someone Else's CA");
    TestCa.Issued good = ca.leaf("localhost");
    int https = backend(vertx, good, false);
    int h2 = backend(vertx, good, true);
    int h2c = backend(vertx, null, false);
    int untrusted = backend(vertx, stranger.leaf("localhost"), false);
    int wrongName = backend(vertx, ca.leaf("other.example"), false);
    // Certificates for the addresses alone (subjectAltName IP), verified against the address connected to.
    TestCa.Issued byAddress = ca.leaf("127.0.0.1", "::1");
    int httpsIp = backend(vertx, byAddress, false);
    int h2Ip = backend(vertx, byAddress, true);
    int httpsIpv6 = backend(vertx, "::1", byAddress, false);
    String yaml = "format_version: 1\nservices:\n"
        + service("https", "https://localhost:" + https, bundle(ca))
        + service("h2", "h2://localhost:" + h2, bundle(ca))
        + service("h2c", "h2c://127.0.0.1:" + h2c, null)
        + service("untrusted", "https://localhost:" + untrusted, bundle(ca))
        + service("system-trust", "https://localhost:" + https, null)
        + service("wrong-name", "https://localhost:" + wrongName, bundle(ca))
        + service("unverified", "https://localhost:" + untrusted, "verify: false")
        + service("https-ip", "https://127.0.0.1:" + httpsIp, bundle(ca))
        + service("h2-ip", "h2://127.0.0.1:" + h2Ip, bundle(ca))
        + service("https-ipv6", "https://[::1]:" + httpsIpv6, bundle(ca))
        + service("wrong-ip", "https://127.0.0.1:" + https, bundle(ca))
        + "routes:\n" + route("https") + route("h2") + route("h2c") + route("untrusted") + route("system-trust")
        + route("wrong-name") + route("unverified") + route("https-ip") + route("h2-ip") + route("https-ipv6")
        + route("wrong-ip");
    node = TestNode.start(yaml, Map.of("SLUICE_TLS_ENGINE", engine()));
    http = new Http(vertx);
  }

  /** tls.engine of the node (towards targets too): BoringSSL; {@link UpstreamTlsJdkEngineTest}: the JDK's. */
  String engine() {
    return "openssl";
  }

  @AfterEach
  void stop() {
    node.close();
    servers.forEach(s -> s.close().await());
  }

  private Http.Reply get(String path) {
    return http.get(node.proxyPort(), path);
  }

  @Test
  void https_h2_and_h2c_targets_are_spoken_to_in_their_protocol_with_sni_and_a_verified_certificate() {
    Http.Reply https = get("/https");
    assertEquals(200, https.status(), https.text());
    assertEquals("HTTP_1_1 localhost 0", https.text(), "TLS with the target's host as SNI");
    Http.Reply h2 = get("/h2");
    assertEquals(200, h2.status(), h2.text());
    assertEquals("HTTP_2 localhost 0", h2.text(), "ALPN h2");
    Http.Reply h2c = get("/h2c");
    assertEquals(200, h2c.status(), h2c.text());
    assertEquals("HTTP_2 null 0", h2c.text(), "HTTP/2 with prior knowledge, no TLS");
    for (int i = 0; i < 5; i++) {
      assertEquals(200, get("/h2").status(), "the multiplexed pool is reused");
    }
  }

  /** RFC 6066 section 3: a server_name is a host name, never an IP literal. */
  @Test
  void a_target_named_by_its_ip_address_gets_no_sni_and_its_certificate_is_verified_against_the_address() {
    for (String path : List.of("/https-ip", "/https-ipv6")) {
      Http.Reply r = get(path);
      assertEquals(200, r.status(), path + ": " + r.text());
      assertEquals("HTTP_1_1 null 0", r.text(), path + ": no server name sent");
    }
    Http.Reply h2 = get("/h2-ip");
    assertEquals(200, h2.status(), h2.text());
    assertEquals("HTTP_2 null 0", h2.text(), "h2: no server name sent");
    assertEquals("HTTP_1_1 localhost 0", get("/https").text(), "a host name is still sent");
  }

  @Test
  void a_target_whose_certificate_is_not_trusted_or_not_for_its_host_is_refused_502_with_the_reason_in_the_log() {
    // wrong-ip: a certificate for localhost only, at 127.0.0.1: the address is not in it.
    for (String path : List.of("/untrusted", "/system-trust", "/wrong-name", "/wrong-ip")) {
      Http.Reply r;
      List<String> logged;
      try (CapturedLogs logs = CapturedLogs.of(Level.DEBUG, "io.sluice.proxy.Exchange")) {
        r = get(path);
        logged = logs.atLeast(Level.DEBUG);
      }
      assertEquals(502, r.status(), path + ": " + r.text());
      // The client learns that the upstream failed, not where it is nor what the operating system said.
      assertEquals("the upstream could not be reached or did not answer properly",
          new JsonObject(r.text()).getJsonObject("error").getString("message"), path + ": " + r.text());
      assertEquals("upstream_error", new JsonObject(r.text()).getJsonObject("error").getString("code"));
      assertTrue(!r.text().contains("localhost") && !r.text().contains("127.0.0.1"), path + ": " + r.text());
      String reason = String.join("\n", logged).toLowerCase();
      assertTrue(reason.contains("cannot connect") && (reason.contains("certif")
          || reason.contains("path") || reason.contains("name")), path + ": the reason is logged: " + logged);
    }
    Http.Reply unverified = get("/unverified");
    assertEquals(200, unverified.status(), "tls.verify false accepts any certificate: " + unverified.text());
  }
}
