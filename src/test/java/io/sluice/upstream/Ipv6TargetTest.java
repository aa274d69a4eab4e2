package io.sluice.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sluice.testing.Eventually.eventually;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target given as a bracketed IPv6 literal is accepted and reached (a real backend bound to ::1): requests,
 * WebSocket handshakes and active health probes all send it the literal in brackets as Host.
 */
@ExtendWith(VertxExtension.class)
class Ipv6TargetTest {

  @Test
  void a_bracketed_ipv6_literal_target_is_served(Vertx vertx) throws Exception {
    AtomicReference<String> host = new AtomicReference<>();
    HttpServer backend = vertx.createHttpServer().requestHandler(req -> {
      host.set(req.getHeader("Host"));
      req.response().end("v6 " + req.path());
    }).listen(0, "::1").toCompletionStage().toCompletableFuture().get();
    try (Gateway gw = new Gateway(vertx)) {
      String address = "[::1]:" + backend.actualPort();
      JsonObject service = gw.create("/services", new JsonObject().put("name", "v6").put("retries", 0)
          .put("targets", new JsonArray().add(new JsonObject().put("address", address))));
      assertEquals(address, service.getJsonArray("targets").getJsonObject(0).getString("address"));
      gw.create("/routes", new JsonObject().put("name", "v6").put("service", "v6")
          .put("paths", new JsonArray().add("/v6")));
      Http.Reply r = gw.get("/v6/x");
      assertEquals(200, r.status(), r.text());
      assertEquals("v6 /v6/x", r.text());
      assertEquals(address, host.get(), "the Host header brackets the literal (RFC 9110 7.2)");

      Http.Reply bad = gw.admin(HttpMethod.POST, "/services", new JsonObject().put("name", "bad6")
          .put("targets", new JsonArray().add(new JsonObject().put("address", "[::zz]:80"))));
      assertEquals(400, bad.status(), bad.text());
      assertTrue(bad.text().contains("targets[0].address"), bad.text());
    } finally {
      backend.close();
    }
  }

  @Test
  void a_websocket_and_the_health_probe_reach_an_ipv6_target_with_a_bracketed_host(Vertx vertx) throws Exception {
    AtomicReference<String> handshakeHost = new AtomicReference<>();
    AtomicReference<String> probeHost = new AtomicReference<>();
    HttpServer backend = vertx.createHttpServer().webSocketHandler(ws -> {
      handshakeHost.set(ws.headers().get("Host"));
      ws.writeTextMessage("hello v6");
    }).requestHandler(req -> {
      if (req.path().equals("/healthz")) {
        probeHost.set(req.getHeader("Host"));
      }
      req.response().end("ok");
    }).listen(0, "::1").toCompletionStage().toCompletableFuture().get();
    WebSocketClient client = vertx.createWebSocketClient();
    try (Gateway gw = new Gateway(vertx)) {
      String address = "[::1]:" + backend.actualPort();
      gw.create("/services", new JsonObject().put("name", "v6ws").put("retries", 0)
          .put("targets", new JsonArray().add(new JsonObject().put("address", address)))
          .put("health_check", new JsonObject().put("path", "/healthz").put("interval_ms", 100)
              .put("timeout_ms", 500)));
      gw.create("/routes?wait=true", new JsonObject().put("name", "v6ws").put("service", "v6ws")
          .put("paths", new JsonArray().add("/v6ws")));
      eventually("the health probe reached the target", () -> probeHost.get() != null);
      assertEquals(address, probeHost.get(), "the probe's Host brackets the literal");

      CompletableFuture<String> greeting = new CompletableFuture<>();
      AtomicReference<WebSocket> socket = new AtomicReference<>();
      // Connected on a context, so that the message handler is set before the greeting can arrive.
      vertx.getOrCreateContext().runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
              .setPort(gw.node().proxyPort()).setURI("/v6ws/chat"))
          .onSuccess(w -> {
            socket.set(w);
            w.textMessageHandler(greeting::complete);
          })
          .onFailure(greeting::completeExceptionally));
      assertEquals("hello v6", greeting.get(10, TimeUnit.SECONDS));
      assertEquals(address, handshakeHost.get(), "the handshake's Host brackets the literal");
      socket.get().close();
    } finally {
      client.close();
      backend.close();
    }
  }
}
