package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  private static JsonObject created(Http.Reply r) {
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }
}
