package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.OnContext;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class BalancingTest {

  private Vertx vertx;
  private Backend a;
  private Backend b;
  private TestNode node;
  private HttpClient client;
  private OnContext onContext;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    a = Backend.named(vertx, "a");
    b = Backend.named(vertx, "b");
    client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(32));
    onContext = new OnContext(vertx);
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    a.close();
    b.close();
  }

  private String get(String uri, String header, String value) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI(uri);
    if (header != null) {
      o.putHeader(header, value);
    }
    return onContext.await(() -> client.request(o).compose(r -> r.send()).compose(r -> r.body())).toString();
  }

  private Map<String, Integer> spread(int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(get("/x", null, null), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void round_robin_alternates_between_targets() {
    node = TestNode.start(TestNode.simpleRoutes("load_balancing: {algorithm: round-robin}", a.port(), b.port()));
    Map<String, Integer> counts = spread(40);
    assertEquals(20, counts.get("a"));
    assertEquals(20, counts.get("b"));
  }

  @Test
  void weighted_sends_traffic_in_proportion_to_weights() {
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            load_balancing: {algorithm: weighted}
            targets:
              - {address: "127.0.0.1:%d", weight: 300}
              - {address: "127.0.0.1:%d", weight: 100}
              - {address: "127.0.0.1:1", weight: 0}
        routes:
          - {name: all, service: svc, paths: ["/"]}
        """.formatted(a.port(), b.port()));
    Map<String, Integer> counts = spread(40);
    assertEquals(30, counts.get("a"));
    assertEquals(10, counts.get("b"));
  }

  @Test
  void consistent_hash_keeps_a_key_on_one_target() {
    node = TestNode.start(TestNode.simpleRoutes("load_balancing: {algorithm: consistent-hash, hash_on: \"header:X-User\"}",
        a.port(), b.port()));
    Map<String, String> first = new HashMap<>();
    for (int u = 0; u < 30; u++) {
      first.put("user-" + u, get("/x", "X-User", "user-" + u));
    }
    for (int round = 0; round < 3; round++) {
      for (int u = 0; u < 30; u++) {
        assertEquals(first.get("user-" + u), get("/x", "X-User", "user-" + u), "user-" + u + " moved");
      }
    }
    assertTrue(first.containsValue("a") && first.containsValue("b"), "30 keys should land on both targets: " + first);
  }

  @Test
  void least_requests_avoids_the_busy_target() {
    Backend slow = Backend.start(vertx, req -> vertx.setTimer(700, t -> req.response().end("slow")));
    try {
      node = TestNode.start(TestNode.simpleRoutes("load_balancing: {algorithm: least-requests}", slow.port(), b.port()));
      List<Future<String>> all = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        all.add(onContext.run(() -> client.request(new RequestOptions().setHost("127.0.0.1")
                .setPort(node.proxyPort()).setURI("/x").setMethod(HttpMethod.GET))
            .compose(r -> r.send()).compose(r -> r.body()).map(Object::toString)));
        vertx.timer(15).await();
      }
      Future.all(all).await();
      long toSlow = all.stream().filter(f -> f.result().equals("slow")).count();
      assertTrue(toSlow >= 1 && toSlow <= 3, "the target holding requests got " + toSlow + " of 20");
    } finally {
      slow.close();
    }
  }
}
