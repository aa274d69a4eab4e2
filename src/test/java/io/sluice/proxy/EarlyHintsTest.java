package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 103 Early Hints from a target reach HTTP/1.1 and HTTP/2 clients before the final answer, less hop-by-hop
 * headers, whether the target speaks HTTP/1.1 or h2c; an HTTP/1.0 client gets only the final answer. Another 1xx,
 * which the gateway's client cannot tell from a final answer, is a 502, never passed on as if it were final.
 */
@ExtendWith(VertxExtension.class)
class EarlyHintsTest {

  private static final String LINK = "</style.css>; rel=preload; as=style";
  /** How long the target thinks before its final answer: the hints must arrive first. */
  private static final long THINK_MS = 100;

  private HttpServer target;
  private TestNode node;
  private Http h2;

  private void start(Vertx vertx, boolean h2cTarget) {
    target = vertx.createHttpServer(new HttpServerOptions()).requestHandler(req -> {
      boolean h2Target = req.version() == io.vertx.core.http.HttpVersion.HTTP_2;
      // HTTP/2 names are lower-case, and HTTP/2 has no hop-by-hop headers.
      MultiMap hints = MultiMap.caseInsensitiveMultiMap().add(h2Target ? "link" : "Link", LINK);
      if (!h2Target) {
        hints.add("Keep-Alive", "timeout=5");
      }
      req.response().writeEarlyHints(hints);
      vertx.setTimer(THINK_MS, t -> req.response().putHeader("Link", LINK).end("page"));
    });
    target.listen(0, "127.0.0.1").await();
    node = TestNode.start("format_version: 1\nservices:\n  - name: svc\n    targets:\n      - address: "
        + (h2cTarget ? "h2c://" : "") + "127.0.0.1:" + target.actualPort() + "\n"
        + "routes:\n  - name: all\n    service: svc\n    paths: [\"/\"]\n");
    h2 = Http.h2c(vertx);
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (target != null) {
      target.close().await();
    }
  }

  private String http11() {
    RawHttp.Answer a = RawHttp.exchange(node.proxyPort(), "GET /page HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    return new String(a.raw(), java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  @Test
  void an_http11_client_gets_the_targets_103_before_its_answer(Vertx vertx) {
    start(vertx, false);
    String raw = http11();
    assertTrue(raw.startsWith("HTTP/1.1 103 Early Hints\r\n"), RawHttp.escape(raw));
    String hints = raw.substring(0, raw.indexOf("\r\n\r\n"));
    assertTrue(hints.toLowerCase().contains("link: " + LINK.toLowerCase()), RawHttp.escape(raw));
    assertFalse(hints.toLowerCase().contains("keep-alive"), "hop-by-hop headers stay behind: " + RawHttp.escape(raw));
    String rest = raw.substring(raw.indexOf("\r\n\r\n") + 4);
    assertTrue(rest.startsWith("HTTP/1.1 200 OK\r\n"), RawHttp.escape(raw));
    assertTrue(rest.endsWith("page"), RawHttp.escape(raw));
  }

  @Test
  void an_http11_client_gets_the_103_of_an_h2c_target(Vertx vertx) {
    start(vertx, true);
    String raw = http11();
    assertTrue(raw.startsWith("HTTP/1.1 103 Early Hints\r\n"), RawHttp.escape(raw));
    assertTrue(raw.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), RawHttp.escape(raw));
  }

  @Test
  void an_h2_client_gets_the_103_as_an_interim_head(Vertx vertx) {
    start(vertx, false);
    List<MultiMap> hints = new CopyOnWriteArrayList<>();
    List<Long> order = new CopyOnWriteArrayList<>();
    Http.Reply r = h2.onContext(client -> client.request(new RequestOptions().setHost("127.0.0.1")
            .setPort(node.proxyPort()).setURI("/page"))
        .compose(req -> {
          req.earlyHintsHandler(h -> {
            hints.add(h);
            order.add(0L);
          });
          return req.send().compose(resp -> {
            order.add(1L);
            return resp.body().map(b -> new Http.Reply(resp.statusCode(), resp.headers(), b));
          });
        })).await();
    assertEquals(200, r.status());
    assertEquals("page", r.text());
    assertEquals(1, hints.size(), "one 103, forwarded once");
    assertEquals(LINK, hints.get(0).get("link"));
    assertNull(hints.get(0).get("keep-alive"));
    assertEquals(List.of(0L, 1L), order, "the hints came before the answer's head");
  }

  @Test
  void an_http10_client_gets_no_1xx_only_the_answer(Vertx vertx) {
    start(vertx, false);
    RawHttp.Answer a = RawHttp.exchange(node.proxyPort(), "GET /page HTTP/1.0\r\nHost: a\r\n\r\n");
    String raw = new String(a.raw(), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(raw.startsWith("HTTP/1.0 200 OK\r\n"), RawHttp.escape(raw));
    assertFalse(raw.contains(" 103 "), RawHttp.escape(raw));
    assertTrue(raw.endsWith("page"), RawHttp.escape(raw));
  }

  @Test
  void another_1xx_is_answered_502_never_passed_on_as_the_final_answer(Vertx vertx) {
    NetServer raw = vertx.createNetServer().connectHandler(socket -> socket.handler(request -> {
      socket.write(Buffer.buffer("HTTP/1.1 102 Processing\r\n\r\n"));
      vertx.setTimer(THINK_MS, t -> socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npage")));
    }));
    raw.listen(0, "127.0.0.1").await();
    try {
      node = TestNode.start(TestNode.simpleRoutes(null, raw.actualPort()));
      RawHttp.Answer a = RawHttp.exchange(node.proxyPort(), "GET /page HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assertEquals(502, a.first().status(), a.describe());
      assertEquals(1, a.responses().size(), a.describe());
    } finally {
      raw.close().await();
    }
  }
}
