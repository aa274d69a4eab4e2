package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.Backend;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * HTTP/2 with prior knowledge (h2c) on the plain proxy port: answered like HTTP/1.1 on the same port, with
 * :authority as the host, hop-by-hop headers kept off both hops, and request bodies of unknown length streamed.
 */
@ExtendWith(VertxExtension.class)
class Http2ProxyTest {

  private Backend backend;
  private TestNode node;
  private Http h1;
  private Http h2;
  private final List<MultiMap> upstreamHeaders = new CopyOnWriteArrayList<>();
  private final List<HttpVersion> clientVersions = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.body().onSuccess(body -> {
      upstreamHeaders.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
      req.response().putHeader("X-Kept", "yes").putHeader("Keep-Alive", "timeout=5")
          .putHeader("X-Upstream-Version", req.version().name())
          .end(req.method() + " " + req.uri() + " host=" + req.authority() + " body=" + body.length());
    }));
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()));
    h1 = new Http(vertx);
    h2 = Http.h2c(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private Http.Reply call(Http http, HttpMethod method, String uri, Buffer body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.proxyPort())
        .setURI(uri);
    for (int i = 0; i < headers.length; i += 2) {
      o.addHeader(headers[i], headers[i + 1]);
    }
    return http.call(o, body);
  }

  @Test
  void an_h2c_client_gets_the_same_answer_as_an_http11_client_on_the_same_port() {
    for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE)) {
      Buffer body = m == HttpMethod.POST || m == HttpMethod.PUT ? Buffer.buffer("x".repeat(70_000)) : null;
      Http.Reply one = call(h1, m, "/a/b?q=1", body);
      Http.Reply two = call(h2, m, "/a/b?q=1", body);
      assertEquals(200, one.status());
      assertEquals(one.status(), two.status(), m.name());
      assertEquals(one.text().replace(":" + node.proxyPort(), ""), two.text().replace(":" + node.proxyPort(), ""),
          m.name());
      assertEquals("yes", two.header("X-Kept"));
      assertNull(two.header("Keep-Alive"), "a hop-by-hop header of the target's answer is not passed on");
      assertEquals(one.header("Content-Type"), two.header("Content-Type"));
    }
    MultiMap last = upstreamHeaders.get(upstreamHeaders.size() - 1);
    assertEquals("127.0.0.1:" + node.proxyPort(), last.get("X-Forwarded-Host"), "the :authority is the host");
    for (MultiMap up : upstreamHeaders) {
      assertNull(up.get("Transfer-Encoding"), "requests without a body go without one: " + up);
    }
    assertEquals("2 sluice", last.get("Via"), "the protocol this hop received (RFC 9110 7.6.3): HTTP/2");
  }

  @Test
  void an_h2_request_body_of_unknown_length_streams_to_the_target_with_backpressure() {
    int pieces = 64;
    byte[] piece = new byte[16 * 1024];
    java.util.Arrays.fill(piece, (byte) 'z');
    Http.Reply r = h2.onContext(client -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/upload"))
        .compose(req -> {
          req.setChunked(true);
          for (int i = 0; i < pieces; i++) {
            req.write(Buffer.buffer(piece));
          }
          return req.end().compose(v -> req.response())
              .compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), resp.headers(), b)));
        })).await();
    assertEquals(200, r.status(), r.text());
    assertEquals("POST /upload host=127.0.0.1:" + backend.port() + " body=" + pieces * piece.length, r.text());
    MultiMap up = upstreamHeaders.get(upstreamHeaders.size() - 1);
    assertEquals("chunked", up.get("Transfer-Encoding"), "a body of unknown length goes chunked to an HTTP/1.1 target");
  }

  /**
   * A client that gives up on a stream (RST_STREAM, NO_ERROR or CANCEL) mid-body, before or after the answer
   * starts, is routine traffic: the gateway stops the attempt and logs nothing at ERROR (it used to log
   * "Stream reset: 0" from the upstream request it reset while the connection was being obtained).
   */
  @Test
  void clients_resetting_their_streams_leave_no_error_in_the_log() throws InterruptedException {
    try (CapturedLogs logs = CapturedLogs.all()) {
      Buffer piece = Buffer.buffer("r".repeat(1000));
      for (int n = 0; n < 40; n++) {
        int i = n;
        long code = i % 2 == 0 ? 0 : 8; // NO_ERROR, CANCEL
        boolean afterAnswer = i % 4 >= 2;
        h2.onContext(client -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
                .setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/reset/" + i))
            .compose(req -> {
              req.setChunked(true);
              req.exceptionHandler(e -> { }); // this test client's own resets are not the gateway's errors
              if (afterAnswer) {
                req.response().onSuccess(resp -> {
                  resp.exceptionHandler(e -> { });
                  req.reset(code);
                });
                return req.end(piece).compose(v -> req.response()).<Void>mapEmpty()
                    .recover(e -> Future.succeededFuture());
              }
              req.write(piece);
              return req.reset(code).recover(e -> Future.succeededFuture());
            })).await();
      }
      Http.Reply after = call(h2, HttpMethod.GET, "/still/fine", null);
      assertEquals(200, after.status(), "the connection and the gateway serve on");
      Thread.sleep(300); // the last resets' consequences (a connection handed over late, a record) have run
      assertEquals(List.of(), logs.atLeast(Level.ERROR));
    }
  }

  @Test
  void an_http11_request_without_host_is_refused_400_and_never_proxied() {
    int before = backend.requests.get();
    io.sluice.testing.RawHttp.Answer a = io.sluice.testing.RawHttp.exchange(node.proxyPort(), "GET /x HTTP/1.1\r\n\r\n");
    assertEquals(400, a.first().status(), a.describe());
    assertTrue(a.first().body().contains("Host"), a.describe());
    assertEquals(before, backend.requests.get());
    // HTTP/1.0 has no Host requirement.
    io.sluice.testing.RawHttp.Answer old = io.sluice.testing.RawHttp.exchange(node.proxyPort(), "GET /x HTTP/1.0\r\n\r\n");
    assertEquals(200, old.first().status(), old.describe());
  }

  @Test
  void connection_specific_headers_of_an_h1_request_never_reach_the_target_and_h1_still_needs_host() {
    Http.Reply r = call(h1, HttpMethod.GET, "/x", null, "Connection", "X-Hop", "X-Hop", "1", "TE", "trailers");
    assertEquals(200, r.status());
    MultiMap up = upstreamHeaders.get(upstreamHeaders.size() - 1);
    assertNull(up.get("X-Hop"));
    assertNull(up.get("TE"));
  }
}
