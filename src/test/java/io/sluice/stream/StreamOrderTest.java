package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.Ports;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A tenant's records reach subscribers in the order the node finished the requests, although each event
 * loop buffers its own: a request answered before another was sent (the same client, one after the other,
 * on connections served by different event loops) has its record before the other's.
 */
@ExtendWith(VertxExtension.class)
class StreamOrderTest {

  private static final int LOOPS = 4;
  private static final int CHAINS = 4;
  private static final int CONNECTIONS = 4;
  private static final int REQUESTS = 300;

  @Test
  @Timeout(120)
  void records_follow_completion_order_across_event_loops(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      // A fixed port: on port 0 each of the loops' servers would bind a port of its own.
      TestNode node = env.node(null, Map.of("SLUICE_PROXY_INSTANCES", Integer.toString(LOOPS),
          "SLUICE_PROXY_PORT", Integer.toString(Ports.free())));
      try {
        String token = env.token(node, "acme");
        // Chains run side by side; each sends its requests one after the other, turn by turn on its own
        // connections (accepted round-robin by the node's event loops), so consecutive requests of a chain
        // are served by different loops, and one finishes before the next starts.
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<Void>> chains = new ArrayList<>();
        for (int c = 0; c < CHAINS; c++) {
          int chain = c;
          List<Http> conns = new ArrayList<>();
          for (int k = 0; k < CONNECTIONS; k++) {
            Http conn = new Http(vertx);
            // Opened here, one after the other: the node's loops take connections in turn, so a chain's
            // connections are on different loops.
            assertEquals(200, conn.call(options(node, "warm-" + chain + "-" + k)).status());
            conns.add(conn);
          }
          // Each request is sent from the previous one's answer callback: no thread hop in between, so a
          // chain's consecutive requests are a millisecond or so apart, well within a loop's 5 ms buffer.
          chains.add(next(node, conns, chain, 0, failed));
        }
        for (CompletableFuture<Void> c : chains) {
          c.get(60, TimeUnit.SECONDS);
        }
        assertEquals(0, failed.get());

        StreamClient.Sub sub = new StreamClient(vertx).connect(node.node().streamPort(), "from=earliest", token);
        List<JsonObject> frames = sub.records(CHAINS * (CONNECTIONS + REQUESTS), Duration.ofSeconds(60));
        sub.close();
        Map<String, Integer> last = new HashMap<>();
        int received = 0;
        for (JsonObject f : frames) {
          String[] id = f.getJsonObject("record").getString("request_id").split("-");
          if (id[0].equals("warm")) {
            continue;
          }
          int i = Integer.parseInt(id[1]);
          Integer before = last.put(id[0], i);
          assertEquals(before == null ? 0 : before + 1, i,
              "chain " + id[0] + ": request " + i + " came after " + before + " (completion order)");
          received++;
        }
        assertEquals(CHAINS * REQUESTS, received);
        assertTrue(node.node().registry().counter("sluice.stream.records.dropped").count() == 0);
      } finally {
        node.close();
      }
    }
  }

  /** Request {@code i} of {@code chain} and, once it is answered, the rest of the chain. */
  private static CompletableFuture<Void> next(TestNode node, List<Http> conns, int chain, int i, AtomicInteger failed) {
    if (i == REQUESTS) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> rest = new CompletableFuture<>();
    conns.get(i % CONNECTIONS).send(options(node, chain + "-" + i), null).onComplete(ar -> {
      if (ar.failed() || ar.result().status() != 200) {
        failed.incrementAndGet();
      }
      next(node, conns, chain, i + 1, failed).whenComplete((v, e) -> rest.complete(null));
    });
    return rest;
  }

  private static RequestOptions options(TestNode node, String requestId) {
    return new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/a/x")
        .putHeader("X-Request-Id", requestId);
  }
}
