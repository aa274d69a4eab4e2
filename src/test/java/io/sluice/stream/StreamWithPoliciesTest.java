package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The access stream and the policies together: the authenticated consumer is in the record, and a request a
 * policy turned away (401 here) is in the tenant's stream too, with nothing sent upstream.
 */
@ExtendWith(VertxExtension.class)
class StreamWithPoliciesTest {

  @Test
  void records_name_the_consumer_and_include_requests_a_policy_refused(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx); TestNode node = env.node()) {
      String acme = env.token(node, "acme");
      JsonObject consumer = created(env.admin(node, HttpMethod.POST, "/consumers",
          new JsonObject().put("tenant", "acme").put("username", "dave").encode()));
      String key = created(env.admin(node, HttpMethod.POST, "/consumers/" + consumer.getString("id") + "/keys",
          "{}")).getString("key");
      created(env.admin(node, HttpMethod.POST, "/plugins?wait=true", new JsonObject().put("name", "key-auth")
          .put("scope", "route").put("route", "ra").put("config", new JsonObject()).encode()));

      assertEquals(401, env.request(node, "/a/x", "no-key"));
      Http.Reply ok = env.http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort())
          .setURI("/a/x").putHeader("X-Request-Id", "with-key").putHeader("apikey", key));
      assertEquals(200, ok.status(), ok.text());

      StreamClient.Sub sub = new StreamClient(vertx).connect(node.node().streamPort(), "from=earliest", acme);
      Map<String, JsonObject> byId = new HashMap<>();
      for (JsonObject f : sub.records(2, Duration.ofSeconds(20))) {
        JsonObject r = f.getJsonObject("record");
        byId.put(r.getString("request_id"), r);
      }
      sub.close();
      JsonObject refused = byId.get("no-key");
      assertEquals(401, refused.getInteger("status"), refused.encode());
      assertNull(refused.getString("consumer"));
      assertNull(refused.getString("upstream"), "nothing went upstream");
      assertEquals("ra", refused.getString("route"));
      assertTrue(refused.getLong("response_bytes") > 0, "the error body");
      JsonObject served = byId.get("with-key");
      assertEquals(200, served.getInteger("status"), served.encode());
      assertEquals("dave", served.getString("consumer"));
      assertEquals(List.of("no-key", "with-key"), List.copyOf(new java.util.TreeSet<>(byId.keySet())));
    }
  }

  /**
   * Found from outside: a request refused mid-body (413 once its chunked body passed the route's 1 MiB) was recorded
   * with upstream null and upstream_ms 0, though the target had its head and part of its body before the reset.
   */
  @Test
  void a_request_refused_mid_body_names_the_target_it_went_to_in_part(Vertx vertx) throws Exception {
    AtomicLong received = new AtomicLong();
    Backend target = Backend.start(vertx, req -> req.handler(b -> received.addAndGet(b.length()))
        .endHandler(v -> req.response().end("ok")));
    try (StreamEnv env = new StreamEnv(vertx); TestNode node = env.node()) {
      String acme = env.token(node, "acme");
      created(env.admin(node, HttpMethod.POST, "/services", new JsonObject().put("name", "svc-up").put("tenant", "acme")
          .put("targets", new io.vertx.core.json.JsonArray().add(new JsonObject()
              .put("address", "127.0.0.1:" + target.port()))).encode()));
      created(env.admin(node, HttpMethod.POST, "/routes", new JsonObject().put("name", "rup").put("service", "svc-up")
          .put("paths", new io.vertx.core.json.JsonArray().add("/up")).encode()));
      created(env.admin(node, HttpMethod.POST, "/plugins?wait=true", new JsonObject().put("name", "request-size-limiting")
          .put("scope", "route").put("route", "rup").put("config", new JsonObject().put("allowed_payload_size", 1))
          .encode()));

      String answer = chunkedUpload(node.proxyPort(), "/up/x", "mid-body", 2 * 1024 * 1024);
      assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);

      StreamClient.Sub sub = new StreamClient(vertx).connect(node.node().streamPort(), "from=earliest", acme);
      JsonObject r = sub.records(1, Duration.ofSeconds(20)).get(0).getJsonObject("record");
      sub.close();
      assertEquals("mid-body", r.getString("request_id"), r.encode());
      assertEquals(413, r.getInteger("status"), r.encode());
      assertTrue(received.get() > 0 && received.get() < 2 * 1024 * 1024, "the target got part: " + received.get());
      assertEquals("127.0.0.1:" + target.port(), r.getString("upstream"), r.encode());
      assertTrue(r.getDouble("upstream_ms") > 0, "timed from the head it sent: " + r.encode());
    } finally {
      target.close();
    }
  }

  /** Sends a chunked body of {@code size} bytes whole (as most clients do), then reads what the node answered. */
  private static String chunkedUpload(int port, String path, String requestId, int size) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: a\r\nX-Request-Id: " + requestId
          + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      byte[] piece = new byte[64 * 1024];
      try {
        for (int sent = 0; sent < size; sent += piece.length) {
          out.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(piece);
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (IOException e) {
        // the node ended its side while the body was still going: its answer is readable all the same
      }
      InputStream in = s.getInputStream();
      return new String(in.readNBytes(13), StandardCharsets.ISO_8859_1);
    }
  }

  private static JsonObject created(Http.Reply r) {
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }
}
