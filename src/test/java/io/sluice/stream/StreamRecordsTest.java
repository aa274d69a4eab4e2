package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Requests that made no record before: a WebSocket session (one record when it ends, with its frames and
 * bytes each way, and the same upstream headers as HTTP), and requests answered before a route matched
 * (counted, and recorded under the default tenant).
 */
@ExtendWith(VertxExtension.class)
class StreamRecordsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  @Timeout(90)
  void a_websocket_session_makes_one_record_with_its_frames_and_bytes(Vertx vertx) throws Exception {
    LinkedBlockingQueue<String> forwardedFor = new LinkedBlockingQueue<>();
    HttpServer wsBackend = vertx.createHttpServer().webSocketHandler(ws -> {
      forwardedFor.add(String.valueOf(ws.headers().get("X-Forwarded-For")));
      ws.textMessageHandler(t -> ws.writeTextMessage("echo:" + t));
    }).listen(0, "127.0.0.1").await();
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node();
      try {
        String withWs = env.routes.replace("services:\n", "services:\n"
            + "  - {name: svc-ws, tenant: acme, targets: [{address: \"127.0.0.1:" + wsBackend.actualPort() + "\"}]}\n")
            + "  - {name: rws, service: svc-ws, paths: [\"/ws\"]}\n";
        apply(env, node, withWs);
        String token = env.token(node, "acme");
        StreamClient.Sub sub = new StreamClient(vertx).connect(node.node().streamPort(), "from=latest", token);
        Thread.sleep(500);

        WebSocketClient client = vertx.createWebSocketClient();
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        Promise<WebSocket> connected = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> client.connect(new WebSocketConnectOptions()
                .setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/ws/chat").addHeader("X-Request-Id", "ws-1"))
            .onSuccess(w -> w.textMessageHandler(got::add)).onComplete(connected));
        WebSocket ws = connected.future().await();
        ws.writeTextMessage("hello").await();        // 5 bytes in
        assertEquals("echo:hello", got.poll(5, TimeUnit.SECONDS)); // 10 bytes out
        ws.writeTextMessage("hi").await();           // 2 bytes in
        assertEquals("echo:hi", got.poll(5, TimeUnit.SECONDS));    // 7 bytes out
        assertEquals("127.0.0.1", forwardedFor.poll(5, TimeUnit.SECONDS), "X-Forwarded-For as on HTTP");
        assertNull(sub.next(Duration.ofMillis(500)), "no record while the session is open");
        ws.close().await();

        JsonObject rec = sub.records(1, WAIT).get(0).getJsonObject("record");
        assertEquals("ws-1", rec.getString("request_id"));
        assertEquals(101, rec.getInteger("status"));
        assertEquals("rws", rec.getString("route"));
        assertEquals(2, rec.getInteger("frames_in"));
        assertEquals(2, rec.getInteger("frames_out"));
        assertEquals(7, rec.getInteger("request_bytes"));
        assertEquals(17, rec.getInteger("response_bytes"));
        assertTrue(rec.getDouble("latency_ms") > 500, "the session's duration: " + rec);
        assertNull(sub.next(Duration.ofSeconds(1)), "one record per session");
        sub.close();
      } finally {
        node.close();
        wsBackend.close().await();
      }
    }
  }

  @Test
  @Timeout(90)
  void no_route_and_refused_requests_are_counted_and_recorded_under_the_default_tenant(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode first = env.node();
      String acmeId;
      try {
        acmeId = tenantId(env, first, "acme");
      } finally {
        first.close();
      }
      Map<String, String> extra = new HashMap<>();
      extra.put("SLUICE_STREAM_DEFAULT_TENANT", acmeId);
      TestNode node = env.node(null, extra);
      try {
        String token = env.token(node, "acme");
        StreamClient.Sub sub = new StreamClient(vertx).connect(node.node().streamPort(), "from=latest", token);
        Thread.sleep(500);
        assertEquals(404, env.request(node, "/nowhere", "nr-1"));
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 200; i++) {
          big.append("X-Big-").append(i).append(": ").append("v".repeat(100)).append("\r\n");
        }
        String answer = new String(RawHttp.exchange(node.proxyPort(),
            "GET /a/x HTTP/1.1\r\nHost: x\r\n" + big + "\r\n").raw(), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(answer.contains("\"status\":431"), answer);

        JsonObject rec = sub.records(1, WAIT).get(0).getJsonObject("record");
        assertEquals("nr-1", rec.getString("request_id"));
        assertEquals(404, rec.getInteger("status"));
        assertEquals(acmeId, rec.getString("tenant_id"));
        assertNull(rec.getString("route"));
        JsonObject second = sub.records(1, WAIT).get(0).getJsonObject("record");
        assertEquals(431, second.getInteger("status"));
        sub.close();

        String metrics = env.admin(node, HttpMethod.GET, "/metrics", null).text();
        assertTrue(metrics.contains("sluice_proxy_unrouted_total{code=\"no_route\",status=\"404\"} 1.0"), metrics);
        assertTrue(metrics.contains("sluice_proxy_unrouted_total{code=\"headers_too_large\",status=\"431\"} 1.0"),
            metrics);
      } finally {
        node.close();
      }
    }
  }

  private static String tenantId(StreamEnv env, TestNode node, String name) {
    for (Object o : new JsonObject(env.admin(node, HttpMethod.GET, "/tenants?limit=1000", null).text())
        .getJsonArray("data")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("name").equals(name)) {
        return t.getString("id");
      }
    }
    throw new AssertionError("no tenant " + name);
  }

  private static void apply(StreamEnv env, TestNode node, String yaml) {
    Http.Reply r = env.http.call(new RequestOptions().setMethod(HttpMethod.PUT)
        .setHost("127.0.0.1").setPort(node.adminPort()).setURI("/config?wait=true")
        .putHeader("Authorization", "Bearer " + StreamEnv.ADMIN_TOKEN).putHeader("Content-Type", "application/yaml"),
        Buffer.buffer(yaml));
    assertEquals(200, r.status(), r.text() + "\n" + yaml);
  }
}
