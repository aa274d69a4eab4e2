package io.sluice.policy;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * proxy-cache on a route of several hosts, served over http and https: the key holds the host as the target is told
 * it (X-Forwarded-Host: case, port and a trailing dot as sent) and the scheme, so one host's answer is never served to
 * another host of the route, nor an answer made over http to a client over https, nor one made for a host written
 * one way to a client that wrote it another.
 */
@ExtendWith(VertxExtension.class)
class ProxyCacheHostKeyTest {

  private RedisServer redis;
  private Backend upstream;
  private Gateway gw;
  private Http h2;

  @BeforeEach
  void start(Vertx vertx) {
    redis = RedisServer.start();
    // Every answer is different (a counter) and names the host it was made for.
    int[] n = {0};
    upstream = Backend.start(vertx, req -> req.response().end("answer " + (++n[0]) + " for "
        + req.getHeader("X-Forwarded-Host") + " over " + req.getHeader("X-Forwarded-Proto")));
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "200"),
        upstream.port());
    gw.create("/routes", new JsonObject().put("name", "c").put("service", "svc")
        .put("hosts", new JsonArray().add("*.c.test").add("other.test")).put("paths", new JsonArray().add("/c")));
    gw.plugin("proxy-cache", "c", new JsonObject());
    TestCa ca = new TestCa("Cache Host CA");
    TestCa.Issued leaf = ca.leaf("c.test");
    JsonObject cert = gw.create("/certificates", new JsonObject().put("cert", leaf.certPem()).put("key", leaf.keyPem()));
    gw.create("/snis", new JsonObject().put("name", "*").put("certificate", cert.getString("id")));
    h2 = Http.h2(vertx, ca.certPem());
  }

  @AfterEach
  void stop() {
    gw.close();
    upstream.close();
    redis.close();
  }

  private void stored(int n) {
    eventually(n + " answers stored in Redis", () -> Long.parseLong(redis.cli("DBSIZE")) >= n);
  }

  private Http.Reply plain(String host, String uri) {
    return gw.get(uri, "Host", host);
  }

  private Http.Reply overTls(String host, String uri) {
    int port = gw.node().proxyTlsPort();
    return h2.call(new RequestOptions().setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
        .setHost(host).setPort(port).setURI(uri));
  }

  @Test
  void one_hosts_answer_is_never_served_to_another_host_of_the_route() {
    Http.Reply one = plain("one.c.test", "/c/page");
    assertEquals("Miss", one.header("X-Cache-Status"), one.text());
    stored(1);
    Http.Reply two = plain("two.c.test", "/c/page");
    assertEquals("Miss", two.header("X-Cache-Status"), "another host of the same route: " + two.text());
    assertNotEquals(one.text(), two.text());
    stored(2);
    Http.Reply other = plain("other.test", "/c/page");
    assertEquals("Miss", other.header("X-Cache-Status"), other.text());
    stored(3);
    Http.Reply again = plain("one.c.test", "/c/page");
    assertEquals("Hit", again.header("X-Cache-Status"));
    assertEquals(one.text(), again.text());
    // Found from outside: written another way (case, a port, a trailing dot), the host reaches the target so in
    // X-Forwarded-Host, which applications build links from: an answer made for one way is never served to another.
    int made = 3;
    for (String written : new String[] {"ONE.C.Test", "one.c.test.", "one.c.test:6666"}) {
      Http.Reply first = plain(written, "/c/page");
      assertEquals("Miss", first.header("X-Cache-Status"), written);
      assertTrue(first.text().endsWith("for " + written + " over http"), written + ": " + first.text());
      made++;
      stored(made);
      Http.Reply hit = plain(written, "/c/page");
      assertEquals("Hit", hit.header("X-Cache-Status"), written);
      assertEquals(first.text(), hit.text(), written);
    }
    assertEquals("Hit", plain("two.c.test", "/c/page").header("X-Cache-Status"));
    assertEquals(made, upstream.requests.get(), "one answer made per host as written");
  }

  @Test
  void an_answer_made_over_http_is_never_served_over_https_nor_the_other_way() {
    Http.Reply http = plain("one.c.test", "/c/s");
    assertEquals("Miss", http.header("X-Cache-Status"), http.text());
    stored(1);
    Http.Reply https = overTls("one.c.test", "/c/s");
    assertEquals(200, https.status(), https.text());
    assertEquals("Miss", https.header("X-Cache-Status"), "over https: " + https.text());
    assertNotEquals(http.text(), https.text());
    stored(2);
    assertEquals(https.text(), overTls("one.c.test", "/c/s").text(), "https hits its own entry");
    assertEquals(http.text(), plain("one.c.test", "/c/s").text(), "http hits its own entry");
    assertEquals(2, upstream.requests.get());
  }
}
