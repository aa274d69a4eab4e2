package io.sluice.stream;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Ports;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Revoking a stream token closes the sockets opened with it (4401) on every node, not only the revoking one. */
@ExtendWith(VertxExtension.class)
class StreamTokenRevocationTest {

  @Test
  void a_revoked_tokens_socket_closes_with_4401_on_a_node_other_than_the_revoking_one(Vertx vertx)
      throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      int[] ports = {Ports.free(), Ports.free()};
      String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
      String name = "sluice-revoke-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
      List<TestNode> nodes = List.of(env.node(null, cluster(name, members, ports, 0)),
          env.node(null, cluster(name, members, ports, 1)));
      try {
        TestNode revoking = nodes.get(0);
        TestNode serving = nodes.get(1);
        eventually("both nodes in one cluster", () -> {
          String c = env.admin(revoking, HttpMethod.GET, "/cluster", null).text();
          return c.contains("node-0") && c.contains("node-1");
        });
        String acme = null;
        for (Object o : new JsonObject(env.admin(revoking, HttpMethod.GET, "/tenants", null).text())
            .getJsonArray("data")) {
          if (((JsonObject) o).getString("name").equals("acme")) {
            acme = ((JsonObject) o).getString("id");
          }
        }
        JsonObject revoked = new JsonObject(env.admin(revoking, HttpMethod.POST, "/tenants/" + acme
            + "/stream-tokens", "{}").text());
        String kept = env.token(revoking, "acme");

        StreamClient client = new StreamClient(vertx);
        StreamClient.Sub doomed = client.connect(serving.streamPort(), "from=latest", revoked.getString("token"));
        StreamClient.Sub other = client.connect(serving.streamPort(), "from=latest", kept);
        // from=latest starts where the log ends once the subscription is set up: requests until both see one.
        live(env, serving, doomed);
        live(env, serving, other);

        assertEquals(204, env.admin(revoking, HttpMethod.DELETE, "/tenants/" + acme + "/stream-tokens/"
            + revoked.getString("id"), null).status());
        assertEquals(4401, doomed.awaitClose(Duration.ofSeconds(10)), doomed.closeReason);
        assertEquals("stream token revoked", doomed.closeReason);

        env.request(serving, "/a/x", "after-revoke");
        String last;
        do { // records of the requests that made the subscriptions live may come first
          last = other.records(1, Duration.ofSeconds(20)).stream().filter(f -> f.containsKey("record"))
              .findFirst().orElseThrow().getJsonObject("record").getString("request_id");
        } while (last.startsWith("before-revoke"));
        assertEquals("after-revoke", last, "a socket of another token stays open");
        other.close();
      } finally {
        nodes.forEach(TestNode::close);
      }
    }
  }

  /**
   * A token deleted with psql (no revocation event: found from outside, its open socket went on receiving records)
   * closes its sockets too, within the stream listener's recheck of open sockets' tokens.
   */
  @Test
  void a_token_deleted_with_sql_closes_its_sockets_with_4401(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node(null, Map.of());
      try {
        String acme = env.db.queryString("select id from tenants where name = 'acme'");
        JsonObject deleted = new JsonObject(env.admin(node, HttpMethod.POST, "/tenants/" + acme + "/stream-tokens",
            "{}").text());
        StreamClient client = new StreamClient(vertx);
        StreamClient.Sub doomed = client.connect(node.streamPort(), "from=latest", deleted.getString("token"));
        live(env, node, doomed);
        env.db.transaction("delete from stream_tokens where id = '" + deleted.getString("id") + "'");
        assertEquals(4401, doomed.awaitClose(Duration.ofSeconds(20)), doomed.closeReason);
        assertEquals("stream token revoked", doomed.closeReason);
      } finally {
        node.close();
      }
    }
  }

  /** Sends a request every half second until {@code sub} has received a record (it is subscribed and live). */
  private static void live(StreamEnv env, TestNode node, StreamClient.Sub sub) throws Exception {
    for (int i = 0; ; i++) {
      env.request(node, "/a/x", "before-revoke-" + i);
      try {
        sub.records(1, Duration.ofMillis(500));
        return;
      } catch (AssertionError notYet) {
        if (i >= 40) {
          throw notYet;
        }
      }
    }
  }

  private static Map<String, String> cluster(String name, String members, int[] ports, int i) {
    return Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip", "SLUICE_CLUSTER_NAME", name,
        "SLUICE_CLUSTER_MEMBERS", members, "SLUICE_CLUSTER_PORT", String.valueOf(ports[i]),
        "SLUICE_NODE_NAME", "node-" + i);
  }

}
