package io.sluice.cluster;

import io.sluice.testing.Http;
import io.sluice.testing.Ports;
import io.sluice.testing.SqlConsumers;
import io.sluice.testing.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Several real nodes in one JVM forming one Hazelcast cluster (TCP-IP on loopback) on one database. */
final class ClusterNodes implements AutoCloseable {

  static final String TOKEN = "cluster-test-token";
  static final String SECRET = "cluster-test-hmac";

  final List<TestNode> nodes = new ArrayList<>();
  final Http http;

  ClusterNodes(Http http, int count, String pgUrl, String routesYaml, Map<String, String> extra) {
    this.http = http;
    String name = "sluice-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    List<Integer> ports = new ArrayList<>();
    StringBuilder members = new StringBuilder();
    for (int i = 0; i < count; i++) {
      ports.add(Ports.free());
      members.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports.get(i));
    }
    for (int i = 0; i < count; i++) {
      Map<String, String> env = new HashMap<>();
      env.put("SLUICE_PG_URL", pgUrl);
      env.put("SLUICE_ADMIN_TOKEN", TOKEN);
      env.put("SLUICE_KEYS_HMAC_SECRET", SECRET);
      env.put("SLUICE_NODE_NAME", "node-" + i);
      if (count > 1) {
        env.put("SLUICE_CLUSTER_DISCOVERY", "tcp-ip");
        env.put("SLUICE_CLUSTER_NAME", name);
        env.put("SLUICE_CLUSTER_MEMBERS", members.toString());
        env.put("SLUICE_CLUSTER_PORT", String.valueOf(ports.get(i)));
      }
      env.putAll(extra);
      nodes.add(TestNode.start(routesYaml, env, (pool, s) -> new SqlConsumers(pool)));
    }
  }

  TestNode node(int i) {
    return nodes.get(i);
  }

  Http.Reply admin(int node, HttpMethod method, String uri, Object body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(nodes.get(node).adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + TOKEN);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    return http.call(o, body == null ? null : Buffer.buffer(body.toString()));
  }

  int proxyStatus(int node, String path) {
    return http.get(nodes.get(node).proxyPort(), path).status();
  }


  @Override
  public void close() {
    for (TestNode n : nodes) {
      n.close();
    }
  }
}
