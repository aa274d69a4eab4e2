package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.OnContext;
import io.sluice.testing.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class WebSocketProxyTest {

  private HttpServer backend;
  private TestNode node;
  private WebSocketClient client;
  private OnContext onContext;
  private final List<String> backendSaw = new CopyOnWriteArrayList<>();
  private final Promise<Short> backendClose = Promise.promise();

  @BeforeEach
  void start(Vertx vertx) {
    backend = vertx.createHttpServer().webSocketHandler(ws -> {
      backendSaw.add("path " + ws.path() + " header " + ws.headers().get("X-Tenant"));
      ws.writeTextMessage("welcome");
      ws.textMessageHandler(t -> {
        backendSaw.add("text " + t);
        ws.writeTextMessage("echo:" + t);
      });
      ws.binaryMessageHandler(b -> ws.writeBinaryMessage(b));
      ws.closeHandler(v -> backendClose.tryComplete(ws.closeStatusCode()));
    }).listen(0, "127.0.0.1").await();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.actualPort()));
    client = vertx.createWebSocketClient();
    onContext = new OnContext(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close().await();
  }

  @Test
  void frames_cross_both_ways_and_close_is_propagated() throws Exception {
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    // Handlers go on as the connection completes, on its event loop: set from the test thread after await(),
    // they could miss the greeting the proxy forwards as soon as both sides exist.
    WebSocket ws = onContext.await(() -> client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(node.proxyPort()).setURI("/chat?room=1").addHeader("X-Tenant", "acme"))
        .onSuccess(w -> {
          w.textMessageHandler(received::add);
          w.binaryMessageHandler(received::add);
        }));

    assertEquals("welcome", received.poll(5, TimeUnit.SECONDS), "a frame from the backend reaches the client");
    ws.writeTextMessage("hi").await();
    assertEquals("echo:hi", received.poll(5, TimeUnit.SECONDS));
    Buffer bytes = Buffer.buffer(new byte[] {0, 1, 2, (byte) 255});
    ws.writeBinaryMessage(bytes).await();
    assertEquals(bytes, received.poll(5, TimeUnit.SECONDS));

    ws.close((short) 4001, "bye").await();
    short code = backendClose.future().await();
    assertEquals((short) 4001, code, "the client's close code reaches the backend");
    assertTrue(backendSaw.contains("path /chat header acme"), backendSaw.toString());
    assertTrue(backendSaw.contains("text hi"), backendSaw.toString());
  }
}
