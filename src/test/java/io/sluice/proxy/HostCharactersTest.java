package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RecordingBackend;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Host (or :authority) whose host part holds a character no route host can hold (',' '%' and the rest of RFC
 * 3986's sub-delims) is refused with 400 malformed Host header: before, {@code secure.test,other} matched no route
 * of secure.test, fell to a route bound to no host (past secure.test's authentication), and went upstream verbatim
 * as X-Forwarded-Host.
 */
class HostCharactersTest {

  private static final List<String> ESCAPING = List.of("secure.test,other", "secure.test%2e", "secure.test;x",
      "secure.test!", "secure.test~", "secure.test(x)", "secure.test*", "secure.test'", "secure.test&x=1",
      "secure.test$", "secure.test+x", "secure.test=x");

  private Vertx vertx;
  private RecordingBackend hostBound;
  private RecordingBackend open;
  private TestNode node;
  private Http h2c;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    hostBound = RecordingBackend.start(vertx);
    open = RecordingBackend.start(vertx);
    node = TestNode.start("""
        format_version: 1
        services:
          - {name: bound, targets: [{address: "127.0.0.1:%d"}]}
          - {name: open, targets: [{address: "127.0.0.1:%d"}]}
        routes:
          - {name: hk, service: bound, hosts: [secure.test], paths: ["/p"]}
          - {name: hopen, service: open, paths: ["/p"]}
        """.formatted(hostBound.port(), open.port()), Map.of());
    h2c = Http.h2c(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    hostBound.close();
    open.close();
    vertx.close().await();
  }

  private static String get(String host) {
    return "GET /p HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  }

  @Test
  void a_host_with_a_character_outside_a_host_name_is_refused_over_http11() {
    for (String host : ESCAPING) {
      for (String authority : List.of(host, host + ":80")) {
        RawHttp.Answer a = RawHttp.exchange(node.proxyPort(), "GET /p HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
        assertEquals(400, a.first().status(), authority + ": " + a.describe());
        assertTrue(a.first().body().contains("malformed Host header"), a.describe());
      }
    }
    assertEquals(0, open.started() + hostBound.started(), "a refused Host reached a target");
    // What a host may hold still passes: the host-bound route by its name, an address or an IPv6 literal elsewhere.
    for (String host : List.of("secure.test", "Secure.Test.", "secure.test:8080")) {
      RawHttp.Answer a = RawHttp.exchange(node.proxyPort(), get(host));
      assertEquals(200, a.first().status(), host + ": " + a.describe());
    }
    assertEquals(3, hostBound.started());
    for (String host : List.of("127.0.0.1", "[::1]:8080", "my_host-1.internal")) {
      assertEquals(200, RawHttp.exchange(node.proxyPort(), get(host)).first().status(), host);
    }
  }

  @Test
  void an_authority_with_a_character_outside_a_host_name_is_refused_over_h2c() {
    for (String host : ESCAPING) {
      Http.Reply r = h2c.call(new RequestOptions().setServer(SocketAddress.inetSocketAddress(node.proxyPort(),
          "127.0.0.1")).setHost(host).setPort(node.proxyPort()).setURI("/p"));
      assertEquals(400, r.status(), host + ": " + r.text());
    }
    assertEquals(0, open.started() + hostBound.started(), "a refused :authority reached a target");
    Http.Reply ok = h2c.call(new RequestOptions().setServer(SocketAddress.inetSocketAddress(node.proxyPort(),
        "127.0.0.1")).setHost("secure.test").setPort(node.proxyPort()).setURI("/p"));
    assertEquals(200, ok.status(), ok.text());
    assertEquals(1, hostBound.started());
  }
}
