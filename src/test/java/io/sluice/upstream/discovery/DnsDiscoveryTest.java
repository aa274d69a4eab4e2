package io.sluice.upstream.discovery;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Targets named by DNS (A/AAAA and SRV) on a running node, against a DNS server on loopback. */
@ExtendWith(VertxExtension.class)
class DnsDiscoveryTest {

  private Vertx vertx;
  private Http http;
  private TestNode node;
  private FakeDns dns;
  private final List<HttpServer> servers = new ArrayList<>();

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    http = new Http(vertx);
    dns = new FakeDns();
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    servers.forEach(s -> s.close().await());
    dns.close();
  }

  /** A backend on {@code ip} answering its ip and the Host header it got. */
  private int serve(String ip, int port) {
    HttpServer s = vertx.createHttpServer()
        .requestHandler(req -> req.response().end(ip + " " + req.getHeader("Host")))
        .listen(port, ip).await();
    servers.add(s);
    return s.actualPort();
  }

  private Map<String, String> env(String maxTtl) {
    return Map.of("SLUICE_DISCOVERY_DNS_SERVERS", dns.server(), "SLUICE_DISCOVERY_DNS_MIN_TTL_S", "1",
        "SLUICE_DISCOVERY_DNS_MAX_TTL_S", maxTtl);
  }

  private String request() {
    Http.Reply r = http.get(node.proxyPort(), "/x");
    assertEquals(200, r.status(), r.text());
    return r.text();
  }

  private Set<String> answering(int n) {
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      seen.add(request().split(" ")[0]);
    }
    return seen;
  }

  private JsonArray targets() {
    return new JsonObject(http.get(node.adminPort(), "/services/svc/health").text()).getJsonArray("targets");
  }

  @Test
  void every_address_of_a_name_is_a_target_and_changes_follow_the_ttl_without_a_configuration_change() {
    int port = serve("127.0.0.2", 0);
    serve("127.0.0.3", port);
    dns.addresses.put("api.sluice.test", List.of("127.0.0.2"));
    dns.ttl = 3600; // bounded by discovery.dns_max_ttl_s: 1
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            targets: [{address: "api.sluice.test:%d", weight: 100}]
        routes:
          - {name: all, service: svc, paths: ["/"]}
        """.formatted(port), env("1"));
    eventually("the name resolved to 127.0.0.2", () -> answering(5).equals(Set.of("127.0.0.2")));
    assertEquals("127.0.0.2 api.sluice.test:" + port, request(), "the Host header keeps the name");

    dns.addresses.put("api.sluice.test", List.of("127.0.0.2", "127.0.0.3"));
    eventually("both addresses serve", () -> answering(10).equals(Set.of("127.0.0.2", "127.0.0.3")));
    JsonArray two = targets();
    assertEquals(2, two.size(), two.encode());
    for (int i = 0; i < 2; i++) {
      assertEquals(50, two.getJsonObject(i).getInteger("weight"), "the weight is split: " + two.encode());
      assertEquals("api.sluice.test", two.getJsonObject(i).getString("host"));
    }

    dns.addresses.put("api.sluice.test", List.of("127.0.0.3"));
    eventually("only 127.0.0.3 is left", () -> answering(10).equals(Set.of("127.0.0.3")));
    assertEquals("[\"127.0.0.3:" + port + "\"]", new JsonArray(targets().stream()
        .map(t -> ((JsonObject) t).getString("address")).toList()).encode());
    // /cluster shows this node's discovered targets (no configuration version changed).
    JsonObject svc = new JsonObject(http.get(node.adminPort(), "/cluster").text()).getJsonArray("upstreams")
        .getJsonObject(0);
    assertEquals("svc", svc.getString("service"));
    assertEquals(true, svc.getBoolean("discovered"));
    assertEquals(new JsonObject().put("address", "127.0.0.3:" + port).put("host", "api.sluice.test")
        .put("healthy", true), svc.getJsonArray("targets").getJsonObject(0));
    assertEquals(1, svc.getJsonArray("targets").size());
    String metrics = http.get(node.adminPort(), "/metrics").text();
    assertTrue(metrics.contains("sluice_upstream_discovered_targets{service=\"svc\"} 1.0"), metrics);
    assertTrue(metrics.contains("sluice_upstream_discovery_changes_total{service=\"svc\"} 3.0"), metrics);
    // The dropped address's series leave /metrics (addresses coming and going must not grow it); the health
    // gauges follow within a reconcile period.
    assertTrue(metrics.contains("target=\"127.0.0.3:" + port + "\""), metrics);
    eventually("127.0.0.2's series are gone", () -> {
      String now = http.get(node.adminPort(), "/metrics").text();
      return !now.contains("target=\"127.0.0.2:") && !now.contains("target=\"api.sluice.test:")
          && now.contains("sluice_upstream_target_healthy{service=\"svc\",target=\"127.0.0.3:" + port + "\"} 1.0");
    });

    // The name stops resolving: the targets found before keep serving.
    dns.addresses.remove("api.sluice.test");
    int before = dns.queries.get();
    eventually("the lookup failed", () -> dns.queries.get() > before + 1
        && http.get(node.adminPort(), "/metrics").text().contains("sluice_upstream_discovery_failures_total{service=\"svc\"}"));
    assertEquals(Set.of("127.0.0.3"), answering(10));
  }

  @Test
  void srv_records_give_ports_and_weights_of_the_lowest_priority() {
    Backend a = Backend.named(vertx, "a");
    Backend b = Backend.named(vertx, "b");
    Backend backup = Backend.named(vertx, "backup");
    try {
      dns.srv.put("_http._tcp.api.sluice.test", List.of(new FakeDns.Srv(10, 10, a.port(), "a.sluice.test"),
          new FakeDns.Srv(10, 30, b.port(), "b.sluice.test"), new FakeDns.Srv(20, 100, backup.port(), "c.sluice.test")));
      dns.addresses.put("a.sluice.test", List.of("127.0.0.1"));
      dns.addresses.put("b.sluice.test", List.of("127.0.0.1"));
      dns.addresses.put("c.sluice.test", List.of("127.0.0.1"));
      node = TestNode.start("""
          format_version: 1
          services:
            - name: svc
              load_balancing: {algorithm: weighted}
              targets: [{address: "srv://_http._tcp.api.sluice.test", weight: 100}]
          routes:
            - {name: all, service: svc, paths: ["/"]}
          """, env("60"));
      eventually("the SRV targets are in", () -> targets().size() == 2);
      JsonArray t = targets();
      Map<String, Integer> weights = new java.util.HashMap<>();
      t.forEach(o -> weights.put(((JsonObject) o).getString("address"), ((JsonObject) o).getInteger("weight")));
      assertEquals(Map.of("127.0.0.1:" + a.port(), 25, "127.0.0.1:" + b.port(), 75), weights);
      int ra = a.requests.get();
      int rb = b.requests.get();
      for (int i = 0; i < 40; i++) {
        request();
      }
      assertEquals(10, a.requests.get() - ra, "weights 10:30 of the SRV records");
      assertEquals(30, b.requests.get() - rb);
      assertEquals(0, backup.requests.get(), "a higher priority value is a backup, not used");
    } finally {
      a.close();
      b.close();
      backup.close();
    }
  }

  @Test
  void a_ttl_below_the_minimum_is_stretched_to_it() throws InterruptedException {
    int port = serve("127.0.0.2", 0);
    dns.addresses.put("api.sluice.test", List.of("127.0.0.2"));
    dns.ttl = 0; // "do not cache": without discovery.dns_min_ttl_s the node would ask again at once, for ever
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            targets: [{address: "api.sluice.test:%d"}]
        routes:
          - {name: all, service: svc, paths: ["/"]}
        """.formatted(port), Map.of("SLUICE_DISCOVERY_DNS_SERVERS", dns.server(),
        "SLUICE_DISCOVERY_DNS_MIN_TTL_S", "2", "SLUICE_DISCOVERY_DNS_MAX_TTL_S", "60"));
    eventually("the name resolved", () -> answering(3).equals(Set.of("127.0.0.2")));
    int before = dns.queries.get();
    Thread.sleep(3_500);
    int asked = dns.queries.get() - before;
    // One or two lookups (A and AAAA queries each) in 3.5 s at a 2 s minimum; a TTL of 0 obeyed: hundreds.
    assertTrue(asked >= 1 && asked <= 6, asked + " queries in 3.5 s");
  }

  @Test
  void names_of_etc_hosts_and_addresses_are_not_looked_up() {
    assertTrue(!DiscoveryVerticle.discovered("localhost:80"));
    assertTrue(!DiscoveryVerticle.discovered("127.0.0.1:80"));
    assertTrue(DiscoveryVerticle.discovered("api.sluice.test:80"));
    assertTrue(DiscoveryVerticle.discovered("srv://_http._tcp.api.sluice.test"));
  }
}
