package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RawWebSocket;
import io.sluice.testing.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  private io.vertx.core.Context context;
  private final List<String> backendSaw = new CopyOnWriteArrayList<>();
  private final Promise<Short> backendClose = Promise.promise();
  /** The close code of each session the backend saw end (-1: none), in order. */
  private final BlockingQueue<Integer> backendCloseCodes = new LinkedBlockingQueue<>();

  @BeforeEach
  void start(Vertx vertx) {
    backend = vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
        .setMaxWebSocketFrameSize(4 << 20).setMaxWebSocketMessageSize(4 << 20)).webSocketHandler(ws -> {
      backendSaw.add("path " + ws.path() + " header " + ws.headers().get("X-Tenant"));
      ws.writeTextMessage("welcome");
      ws.textMessageHandler(t -> {
        backendSaw.add("text " + t);
        ws.writeTextMessage("echo:" + t);
      });
      ws.binaryMessageHandler(b -> {
        if (b.length() == 1) {
          ws.writeBinaryMessage(Buffer.buffer(new byte[b.getByte(0) * 1024 * 1024])); // "send me N MiB"
        } else {
          ws.writeBinaryMessage(b);
        }
      });
      ws.closeHandler(v -> {
        backendClose.tryComplete(ws.closeStatusCode());
        backendCloseCodes.add(ws.closeStatusCode() == null ? -1 : (int) ws.closeStatusCode());
      });
    }).listen(0, "127.0.0.1").await();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.actualPort()));
    client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
        .setMaxFrameSize(4 << 20).setMaxMessageSize(4 << 20));
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close().await();
  }

  @Test
  void frames_cross_both_ways_and_close_is_propagated() throws Exception {
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    // Connect and attach the handlers on one context, so that the greeting cannot arrive in between.
    Promise<WebSocket> connected = Promise.promise();
    context.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
            .setPort(node.proxyPort()).setURI("/chat?room=1").addHeader("X-Tenant", "acme"))
        .onSuccess(w -> {
          w.textMessageHandler(received::add);
          w.binaryMessageHandler(received::add);
        }).onComplete(connected));
    WebSocket ws = connected.future().await();

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

  /**
   * Frames up to proxy.websocket_max_frame_bytes (1 MiB) cross whole in both directions (the listener's own bound
   * was Vert.x's 64 KiB: a browser's 70 KB message reset the session); a larger one from the target ends its
   * side and closes the client's with 1011, never the normal 1000 that would say everything arrived.
   */
  @Test
  void frames_up_to_the_bound_cross_both_ways_and_a_larger_one_closes_both_sides_with_an_error() throws Exception {
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    Promise<Short> closed = Promise.promise();
    Promise<WebSocket> connected = Promise.promise();
    context.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
            .setPort(node.proxyPort()).setURI("/big"))
        .onSuccess(w -> {
          w.textMessageHandler(received::add);
          w.binaryMessageHandler(received::add);
          w.closeHandler(c -> closed.tryComplete(w.closeStatusCode()));
        }).onComplete(connected));
    WebSocket ws = connected.future().await();
    assertEquals("welcome", received.poll(5, TimeUnit.SECONDS));
    byte[] payload = new byte[700_000];
    new java.util.Random(1).nextBytes(payload);
    ws.writeBinaryMessage(Buffer.buffer(payload)).await();
    assertEquals(Buffer.buffer(payload), received.poll(10, TimeUnit.SECONDS), "700 KB as one frame, both ways");

    ws.writeBinaryMessage(Buffer.buffer(new byte[] {2})).await(); // the backend answers with one 2 MiB frame
    short senderSaw = backendClose.future().await();
    assertTrue(senderSaw == 1009 || senderSaw == 1006, "the sender's session is ended (1009, or cut): " + senderSaw);
    assertEquals((short) 1011, closed.future().await(), "the client: the session broke, not a normal 1000");
    assertEquals(null, received.poll(200, TimeUnit.MILLISECONDS), "nothing of it was delivered");
  }

  /**
   * A client frame that breaks RFC 6455 fails the session with a close frame saying why (section 7.1.7), not a bare
   * end of the connection (1006, no reason), which is what Vert.x did: a reserved bit with no extension agreed, an
   * unmasked frame and a reserved opcode are 1002, a frame over proxy.websocket_max_frame_bytes is 1009. The target's
   * side ends as broken (1011), never with the normal 1000, and never receives the frame.
   */
  @Test
  void a_client_frame_that_breaks_the_protocol_is_answered_with_a_close_frame_saying_why() throws Exception {
    record Case(String what, int firstByte, byte[] payload, boolean masked, int code, String reason) {}
    for (Case c : List.of(
        new Case("RSV1 set", 0x80 | 0x40 | RawWebSocket.TEXT, "hi".getBytes(), true, 1002, "RSV"),
        new Case("unmasked", 0x80 | RawWebSocket.TEXT, "hi".getBytes(), false, 1002, "mask"),
        new Case("reserved opcode 3", 0x80 | 0x3, "hi".getBytes(), true, 1002, "opcode"),
        new Case("2 MiB frame", 0x80 | RawWebSocket.BINARY, new byte[2 << 20], true, 1009, "1048576"))) {
      try (RawWebSocket ws = RawWebSocket.open(node.proxyPort(), "/chat")) {
        ws.send(c.firstByte(), c.payload(), c.masked());
        RawWebSocket.Ending end = ws.readUntilClosed(5000);
        assertTrue(end.closedByServer(), c.what() + ": " + end.describe());
        RawWebSocket.Frame close = end.close();
        assertTrue(close != null, c.what() + ": a close frame before the end: " + end.describe());
        assertEquals(c.code(), close.closeCode(), c.what() + ": " + end.describe());
        assertTrue(close.closeReason().contains(c.reason()), c.what() + ": " + end.describe());
      }
      assertEquals(1011, backendCloseCodes.poll(5, TimeUnit.SECONDS), c.what() + ": the target's side broke");
    }
    assertTrue(backendSaw.stream().noneMatch(s -> s.startsWith("text")), "no frame reached the target: " + backendSaw);
  }

  /**
   * The same from a target: a frame with a reserved bit set is answered to the target with a close frame 1002 saying
   * why (the proxy's own frames to it masked, as a client's must be), and the client's side ends as broken (1011).
   */
  @Test
  void a_target_frame_that_breaks_the_protocol_is_answered_to_the_target_with_a_close_frame(Vertx vertx)
      throws Exception {
    BlockingQueue<byte[]> fromProxy = new LinkedBlockingQueue<>();
    NetServer target = vertx.createNetServer().connectHandler(socket -> {
      Buffer head = Buffer.buffer();
      boolean[] upgraded = {false};
      socket.handler(b -> {
        if (upgraded[0]) {
          fromProxy.add(b.getBytes());
          if ((b.getByte(0) & 0x0F) == RawWebSocket.TEXT) { // the client's "go" came through: now the bad frame
            socket.write(Buffer.buffer(new byte[] {(byte) (0x80 | 0x40 | RawWebSocket.TEXT), 2, 'h', 'i'}));
          }
          return;
        }
        head.appendBuffer(b);
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (text.contains("\r\n\r\n")) {
          upgraded[0] = true;
          String key = text.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:"))
              .findFirst().orElseThrow().substring("sec-websocket-key:".length()).trim();
          socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n");
        }
      });
    }).listen(0, "127.0.0.1").await();
    try (TestNode gw = TestNode.start(TestNode.simpleRoutes(null, target.actualPort()))) {
      Promise<Short> closed = Promise.promise();
      Promise<WebSocket> connected = Promise.promise();
      context.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
              .setPort(gw.proxyPort()).setURI("/chat"))
          .onSuccess(w -> w.closeHandler(c -> closed.tryComplete(w.closeStatusCode()))).onComplete(connected));
      connected.future().await().writeTextMessage("go").await();
      assertEquals((short) 1011, closed.future().await(), "the client: the session broke");
      byte[] close = null;
      for (byte[] b = fromProxy.poll(5, TimeUnit.SECONDS); b != null; b = fromProxy.poll(1, TimeUnit.SECONDS)) {
        if ((b[0] & 0x0F) == RawWebSocket.CLOSE) {
          close = b;
          break;
        }
      }
      assertTrue(close != null, "the target got a close frame");
      assertTrue((close[1] & 0x80) != 0, "masked, as a client's frame must be");
      byte[] payload = new byte[close[1] & 0x7F];
      for (int i = 0; i < payload.length; i++) {
        payload[i] = (byte) (close[6 + i] ^ close[2 + i % 4]);
      }
      assertEquals(1002, ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF));
      assertTrue(new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8).contains("RSV"));
    } finally {
      target.close().await();
    }
  }

  /** Sec-WebSocket-Accept for {@code key} (RFC 6455 section 4.2.2). */
  private static String accept(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
          .getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A request-transformer's value that Netty's WebSocket handshaker refuses (one starting with a space: the schema and
   * the HTTP client take it) is answered at once as the HTTP path answers a head its client refuses: 500
   * internal_error, the target never reached. Vert.x never completed the connect: the client waited for the idle
   * timeout, and the node logged an ERROR line.
   */
  /**
   * The proxy never agrees to compress WebSocket frames with a client: its frame bound is checked on the bytes as sent,
   * so a deflated message could inflate past it without limit (an outside tester ran a node out of heap with about
   * 300 KB on the wire). A client that offers permessage-deflate (every browser does) gets plain frames.
   */
  @Test
  void a_client_offering_compression_gets_plain_frames() {
    RawHttp.Response r = RawHttp.exchange(node.proxyPort(), "GET /chat HTTP/1.1\r\nHost: localhost\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits,"
        + " x-webkit-deflate-frame\r\n\r\n").first();
    assertEquals(101, r.status(), r.body());
    assertEquals(null, r.header("Sec-WebSocket-Extensions"), "no extension agreed");
  }

  @Test
  void an_upgrade_whose_policy_header_cannot_be_written_is_answered_500_at_once(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx, Map.of(), backend.actualPort())) {
      gw.plugin("request-transformer", "api", new JsonObject().put("add",
          new JsonObject().put("headers", new JsonObject().put("X-Tag", " lead"))));
      // Read for 2.5 s (RawHttp's default): before, nothing came in that time.
      RawHttp.Response r = RawHttp.exchange(gw.node().proxyPort(), "GET /api/chat HTTP/1.1\r\nHost: localhost\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n").first();
      assertEquals(500, r.status(), r.body());
      JsonObject error = new JsonObject(r.body()).getJsonObject("error");
      assertEquals("internal_error", error.getString("code"));
      assertEquals("the gateway could not form the request to the target", error.getString("message"));
      assertTrue(backendSaw.isEmpty(), "the target saw the upgrade: " + backendSaw);
    }
  }
}
