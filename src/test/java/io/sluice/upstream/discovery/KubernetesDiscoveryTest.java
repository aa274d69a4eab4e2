package io.sluice.upstream.discovery;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.sluice.upstream.Endpoint;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * k8s:// targets on a running node, its fabric8 client against a fake API server: the ready endpoints of the
 * Service's EndpointSlices serve, an update moves traffic to the new pods, a 410 Gone makes it list again, and
 * an API that fails keeps the targets found before.
 */
@ExtendWith(VertxExtension.class)
class KubernetesDiscoveryTest {

  private Vertx vertx;
  private Http http;
  private TestNode node;
  private FakeKubeApi api;
  private final List<HttpServer> pods = new ArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    http = new Http(vertx);
    api = new FakeKubeApi(vertx, "shop");
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    pods.forEach(s -> s.close().await());
    api.close();
  }

  /** A pod on {@code ip} answering its ip and the Host header it got. */
  private int pod(String ip, int port) {
    HttpServer s = vertx.createHttpServer()
        .requestHandler(req -> req.response().end(ip + " " + req.getHeader("Host")))
        .listen(port, ip).await();
    pods.add(s);
    return s.actualPort();
  }

  private TestNode node(String address) {
    return TestNode.start("""
        format_version: 1
        services:
          - name: svc
            targets: [{address: "%s", weight: 100}]
        routes:
          - {name: all, service: svc, paths: ["/"]}
        """.formatted(address), Map.of("SLUICE_DISCOVERY_KUBERNETES_API", api.url()));
  }

  private Http.Reply request() {
    return http.get(node.proxyPort(), "/x");
  }

  private Set<String> answering(int n) {
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      Http.Reply r = request();
      assertEquals(200, r.status(), r.text());
      seen.add(r.text().split(" ")[0]);
    }
    return seen;
  }

  private JsonArray targets() {
    return new JsonObject(http.get(node.adminPort(), "/services/svc/health").text()).getJsonArray("targets");
  }

  private String metrics() {
    return http.get(node.adminPort(), "/metrics").text();
  }

  private static Map<String, Boolean> ready(Object... ipAndReady) {
    Map<String, Boolean> m = new LinkedHashMap<>();
    for (int i = 0; i < ipAndReady.length; i += 2) {
      m.put((String) ipAndReady[i], (Boolean) ipAndReady[i + 1]);
    }
    return m;
  }

  @Test
  void an_endpoint_slice_update_moves_traffic_to_the_new_pods_without_a_configuration_change() {
    int port = pod("127.0.0.2", 0);
    pod("127.0.0.3", port);
    pod("127.0.0.4", port);
    api.put(FakeKubeApi.slice("svc-a", "svc", "http", port, ready("127.0.0.2", true, "127.0.0.9", false)));
    api.put(FakeKubeApi.slice("other-a", "other", "http", port, ready("127.0.0.4", true)));
    node = node("k8s://svc.shop:http");
    eventually("the ready pod serves", () -> targets().size() == 1);
    assertEquals(Set.of("127.0.0.2"), answering(5), "the pod not ready, and another Service's, get nothing");
    assertEquals("127.0.0.2 svc.shop.svc:" + port, request().text(), "the Host header is the Service's name");
    long version = node.node().appliedVersion();
    eventually("the watch is open", () -> api.watching() == 1);

    // A rollout: new pods in the slice, then the old one gone.
    api.put(FakeKubeApi.slice("svc-a", "svc", "http", port, ready("127.0.0.2", true, "127.0.0.3", true)));
    eventually("both pods serve", () -> answering(10).equals(Set.of("127.0.0.2", "127.0.0.3")));
    assertEquals(2, targets().size());
    assertEquals(50, targets().getJsonObject(0).getInteger("weight"), "the weight is split: " + targets());
    api.put(FakeKubeApi.slice("svc-a", "svc", "http", port, ready("127.0.0.2", false, "127.0.0.3", true)));
    eventually("only the new pod serves", () -> answering(10).equals(Set.of("127.0.0.3")));
    assertEquals("[\"127.0.0.3:" + port + "\"]", new JsonArray(targets().stream()
        .map(t -> ((JsonObject) t).getString("address")).toList()).encode());
    assertEquals(version, node.node().appliedVersion(), "discovery is no configuration change");
    assertEquals(1, api.lists.get(), "one list, then the watch: " + api.requests);
    assertTrue(api.requests.stream().anyMatch(r -> r.contains("watch=true") && r.contains("resourceVersion=")),
        "watched from the list's resourceVersion: " + api.requests);
    String m = metrics();
    assertTrue(m.contains("sluice_upstream_discovered_targets{service=\"svc\"} 1.0"), m);
    assertTrue(m.contains("sluice_upstream_discovery_changes_total{service=\"svc\"} 3.0"), m);

    // The history is compacted (410 Gone): the client lists again and sees what changed meanwhile.
    api.expire(FakeKubeApi.slice("svc-a", "svc", "http", port, ready("127.0.0.4", true)));
    eventually("the pod of the new list serves", () -> answering(10).equals(Set.of("127.0.0.4")));
    assertTrue(api.lists.get() >= 2, api.requests.toString());

    // The API fails: the targets found before keep serving, the failures are counted, and the watch comes back.
    api.failing = true;
    api.expire(FakeKubeApi.slice("svc-a", "svc", "http", port, ready("127.0.0.4", true)));
    eventually("a failure is counted", () -> metrics().contains("sluice_upstream_discovery_failures_total{service=\"svc\"}"));
    assertEquals(Set.of("127.0.0.4"), answering(10));
    api.failing = false;
    eventually("the watch is open again", () -> api.watching() == 1);
    api.put(FakeKubeApi.slice("svc-b", "svc", "http", port, ready("127.0.0.2", true)));
    eventually("a second slice adds its pod", () -> answering(20).equals(Set.of("127.0.0.2", "127.0.0.4")));
    api.delete("svc-a");
    eventually("a deleted slice takes its pods away", () -> answering(10).equals(Set.of("127.0.0.2")));
  }

  @Test
  void a_numeric_port_is_the_endpoints_port_number_and_a_name_the_service_ports_name() {
    EndpointSlice slice = Serialization.unmarshal(FakeKubeApi.slice("s", "svc", "http", 8080,
        ready("10.0.0.2", true, "10.0.0.1", true, "10.0.0.3", false)).encode(), EndpointSlice.class);
    slice.getEndpoints().get(0).setConditions(null); // no condition: ready, as Kubernetes says
    List<Endpoint> byName = KubernetesWatch.endpoints(List.of(slice), "svc.shop.svc", "http", 100);
    assertEquals(List.of(new Endpoint("svc.shop.svc", "10.0.0.1", 8080, 50),
        new Endpoint("svc.shop.svc", "10.0.0.2", 8080, 50)), byName);
    assertEquals(byName, KubernetesWatch.endpoints(List.of(slice), "svc.shop.svc", "8080", 100));
    assertEquals(List.of(), KubernetesWatch.endpoints(List.of(slice), "svc.shop.svc", "80", 100));
    assertEquals(List.of(), KubernetesWatch.endpoints(List.of(slice), "svc.shop.svc", "grpc", 100));
  }
}
