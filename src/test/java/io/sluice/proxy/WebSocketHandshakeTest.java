package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A WebSocket upgrade's handshake with the target, found from outside: a target's refusal reached the client as the
 * gateway's 502 and counted against the target (three refused upgrades opened a healthy target's breaker), a target
 * that never answered the upgrade held the client forever, and the subprotocol the target chose never reached the
 * client, which then closed the session.
 */
@ExtendWith(VertxExtension.class)
class WebSocketHandshakeTest {

  private HttpServer backend;
  private TestNode node;

  @BeforeEach
  void start(Vertx vertx) {
    backend = vertx.createHttpServer(new HttpServerOptions().setWebSocketSubProtocols(List.of("chat")))
        .requestHandler(req -> {
          switch (req.path()) {
            case "/refuse" -> req.response().setStatusCode(403).putHeader("X-Why", "no such room")
                .putHeader("Content-Type", "text/plain").end("refused");
            case "/hang" -> { } // accepted, never answered
            case "/proto" -> req.toWebSocket().onSuccess(ws -> ws.writeTextMessage("proto " + ws.subProtocol()));
            default -> req.response().end("plain");
          }
        }).listen(0, "127.0.0.1").await();
    node = TestNode.start(TestNode.simpleRoutes("""
        retries: 0
        timeouts: {read_ms: 700}
        circuit_breaker: {failures: 3, open_ms: 60000}""", backend.actualPort()));
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close().await();
  }

  private static String upgrade(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  }

  @Test
  void a_refused_upgrade_reaches_the_client_as_the_target_answered_and_opens_no_breaker(Vertx vertx) {
    for (int i = 0; i < 5; i++) {
      RawHttp.Answer answer = RawHttp.exchange(node.proxyPort(),
          upgrade("/refuse").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 1000);
      RawHttp.Response r = answer.first();
      assertEquals(403, r.status(), answer.describe());
      assertEquals("no such room", r.header("X-Why"), answer.describe());
      assertEquals("refused", r.body(), answer.describe());
      assertNull(r.header("Upgrade"), answer.describe());
      assertTrue(r.header("X-Request-Id") != null, answer.describe());
    }
    Http.Reply plain = new Http(vertx).call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort())
        .setURI("/plain"));
    assertEquals(200, plain.status(), "a refusal is the target's answer, not its failure: " + plain.text());
  }

  @Test
  void an_upgrade_the_target_never_answers_is_504_after_read_ms() {
    RawHttp.Answer answer = RawHttp.exchange(node.proxyPort(), upgrade("/hang")); // reads for 2.5 s at most
    assertEquals(504, answer.first().status(), answer.describe());
  }

  @Test
  void the_subprotocol_the_target_chose_reaches_the_client(Vertx vertx) {
    WebSocket ws = vertx.createWebSocketClient().connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(node.proxyPort()).setURI("/proto").addSubProtocol("superchat").addSubProtocol("chat")).await();
    try {
      assertEquals("chat", ws.subProtocol());
    } finally {
      ws.close().await();
    }
  }
}
