package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.OnContext;
import io.sluice.testing.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ForwardingHeadersTest {

  private Backend backend;
  private TestNode node;
  private HttpClient client;
  private OnContext onContext;
  private final AtomicReference<MultiMap> upstreamHeaders = new AtomicReference<>();

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> {
      upstreamHeaders.set(req.headers());
      req.response()
          .putHeader("Connection", "close, X-Secret-Hop")
          .putHeader("X-Secret-Hop", "hop")
          .putHeader("Keep-Alive", "timeout=5")
          .putHeader("Proxy-Authenticate", "Basic")
          .putHeader("X-Kept", "yes")
          .end("ok");
    });
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()));
    client = vertx.createHttpClient();
    onContext = new OnContext(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private HttpClientResponse get(RequestOptions options) {
    return onContext.await(() -> client.request(options.setPort(node.proxyPort()).setHost("127.0.0.1"))
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp))));
  }

  @Test
  void adds_forwarding_headers_and_generates_a_request_id() {
    HttpClientResponse resp = get(new RequestOptions().setURI("/x").putHeader("Host", "api.example.com:8080"));
    assertEquals(200, resp.statusCode());
    MultiMap h = upstreamHeaders.get();
    assertEquals("127.0.0.1", h.get("X-Forwarded-For"));
    assertEquals("http", h.get("X-Forwarded-Proto"));
    assertEquals("api.example.com:8080", h.get("X-Forwarded-Host"));
    assertEquals("1.1 sluice", h.get("Via"));
    String id = h.get("X-Request-Id");
    assertNotNull(id);
    assertEquals(32, id.length());
    assertEquals(id, resp.getHeader("X-Request-Id"));
    assertEquals("127.0.0.1:" + backend.port(), h.get("Host"));
  }

  @Test
  void passes_an_existing_request_id_and_appends_to_forwarded_for() {
    get(new RequestOptions().setURI("/x").putHeader("X-Request-Id", "abc-123")
        .putHeader("X-Forwarded-For", "203.0.113.9").putHeader("Via", "1.1 edge"));
    MultiMap h = upstreamHeaders.get();
    assertEquals("abc-123", h.get("X-Request-Id"));
    assertEquals("203.0.113.9, 127.0.0.1", h.get("X-Forwarded-For"));
    assertEquals("1.1 edge, 1.1 sluice", h.get("Via"));
  }

  @Test
  void removes_hop_by_hop_headers_both_ways() {
    HttpClientResponse resp = get(new RequestOptions().setURI("/x")
        .putHeader("Connection", "keep-alive, X-Client-Hop")
        .putHeader("X-Client-Hop", "secret")
        .putHeader("Keep-Alive", "timeout=5")
        .putHeader("TE", "trailers")
        .putHeader("Proxy-Authorization", "Basic Zm9v")
        .putHeader("X-Normal", "1"));
    MultiMap h = upstreamHeaders.get();
    assertNull(h.get("X-Client-Hop"));
    assertNull(h.get("Keep-Alive"));
    assertNull(h.get("TE"));
    assertNull(h.get("Proxy-Authorization"));
    assertEquals("1", h.get("X-Normal"));
    assertFalse(String.valueOf(h.get("Connection")).contains("X-Client-Hop"));
    assertNull(resp.getHeader("X-Secret-Hop"));
    assertNull(resp.getHeader("Keep-Alive"));
    assertNull(resp.getHeader("Proxy-Authenticate"));
    assertEquals("yes", resp.getHeader("X-Kept"));
  }

  @Test
  void preserve_host_forwards_the_client_host() {
    node.close();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()).replace("    paths: [\"/\"]\n",
        "    paths: [\"/\"]\n    preserve_host: true\n"));
    get(new RequestOptions().setURI("/x").putHeader("Host", "shop.example.com"));
    assertEquals("shop.example.com", upstreamHeaders.get().get("Host"));
  }

  @Test
  void unknown_route_answers_404_with_a_json_error() {
    node.close();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()).replace("paths: [\"/\"]", "paths: [\"/only\"]"));
    AtomicReference<JsonObject> json = new AtomicReference<>();
    HttpClientResponse resp = onContext.await(() -> client.request(new RequestOptions().setPort(node.proxyPort())
            .setHost("127.0.0.1").setURI("/elsewhere").setMethod(HttpMethod.GET))
        .compose(r -> r.send()).compose(r -> r.body().map(b -> {
          json.set(b.toJsonObject());
          return r;
        })));
    JsonObject body = json.get();
    assertEquals(404, resp.statusCode());
    assertEquals("no_route", body.getJsonObject("error").getString("code"));
    assertEquals(resp.getHeader("X-Request-Id"), body.getJsonObject("error").getString("request_id"));
    assertTrue(resp.getHeader("Content-Type").startsWith("application/json"));
    assertEquals(0, backend.requests.get());
  }
}
