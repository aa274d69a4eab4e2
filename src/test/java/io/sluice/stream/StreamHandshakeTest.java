package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a subscriber sees is settled before its handshake is answered: from the latest record, the records of requests
 * made once it is connected, every one of them; and a draining node turns new subscribers away at once.
 */
@ExtendWith(VertxExtension.class)
class StreamHandshakeTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * Found from outside: a subscriber from the latest record made requests as soon as its socket was open and missed
   * the first records, because the subscription was set up after the 101 (the token lookup, the partition followed).
   * Here on a node where nothing followed the tenant's partition before, the slowest case.
   */
  @Test
  void records_of_requests_made_as_soon_as_a_latest_subscriber_is_connected_all_arrive(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node();
      try {
        String token = env.token(node, "acme");
        StreamClient client = new StreamClient(vertx);
        for (int round = 0; round < 3; round++) {
          StreamClient.Sub sub = client.connect(node.node().streamPort(), round == 1 ? "" : "from=latest", token);
          List<String> sent = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            String id = "now-" + round + "-" + i;
            assertEquals(200, env.request(node, "/a/x", id));
            sent.add(id);
          }
          List<String> got = sub.records(5, WAIT).stream().filter(f -> f.containsKey("record"))
              .map(f -> f.getJsonObject("record").getString("request_id")).toList();
          assertEquals(sent, got, "round " + round + ": every record of a request made once connected, in order");
          sub.close();
        }
      } finally {
        node.close();
      }
    }
  }

  /**
   * Found from outside: while a node drained (its proxy port closed, readiness 503) its stream listener still took new
   * subscribers, who waited for records that would never come until the node closed them.
   */
  @Test
  void a_draining_node_closes_a_new_subscriber_with_1001_at_once(Vertx vertx) throws Exception {
    Backend slow = Backend.start(vertx, req -> vertx.setTimer(2000, t -> req.response().end("late")));
    try (StreamEnv env = new StreamEnv(vertx)) {
      String routes = """
          format_version: 1
          services:
            - {name: svc-slow, tenant: acme, targets: [{address: "127.0.0.1:%d"}]}
          routes:
            - {name: rs, service: svc-slow, paths: ["/slow"]}
          """.formatted(slow.port());
      TestNode node = env.node(routes, null, Map.of("SLUICE_PROXY_DRAIN_TIMEOUT_MS", "10000"));
      Thread stopper = new Thread(node::close);
      try {
        String token = env.token(node, "acme");
        int streamPort = node.node().streamPort();
        Future<String> inFlight = env.http.send(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort())
            .setURI("/slow/x"), null).map(r -> r.text());
        while (slow.requests.get() == 0) {
          Thread.sleep(10);
        }
        stopper.start();
        Thread.sleep(300); // the drain has begun; the request is still in flight
        StreamClient.Sub late = new StreamClient(vertx).connect(streamPort, "from=latest", token);
        assertEquals((short) 1001, late.awaitClose(Duration.ofSeconds(1)), late.closeReason);
        assertTrue(late.closeReason.startsWith("node stopping"), late.closeReason);
        assertNull(late.frames.peek(), "not a single frame");
        assertEquals("late", inFlight.await(), "the request in flight finishes during the drain");
      } finally {
        if (!stopper.isAlive() && stopper.getState() == Thread.State.NEW) {
          node.close();
        }
        stopper.join(20_000);
        slow.close();
      }
    }
  }
}
