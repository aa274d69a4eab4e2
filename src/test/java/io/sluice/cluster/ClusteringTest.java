package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JoinConfig;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Hazelcast configuration each discovery mode produces (no member is started here). */
class ClusteringTest {

  private static Config config(Map<String, String> env) {
    NodeSettings settings = new SettingsLoader().load(null, false, env);
    return Clustering.hazelcastConfig(settings);
  }

  @Test
  void tcp_ip_uses_the_member_list_and_never_multicast() {
    Config c = config(Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip", "SLUICE_CLUSTER_NAME", "edge",
        "SLUICE_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2", "SLUICE_CLUSTER_PORT", "5801"));
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertEquals("edge", c.getClusterName());
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertFalse(join.getKubernetesConfig().isEnabled());
    assertEquals(5801, c.getNetworkConfig().getPort());
    assertEquals("false", c.getProperty("hazelcast.map.invalidation.batch.enabled"),
        "near-cache invalidations are not held back for 10 s");
  }

  @Test
  void kubernetes_uses_hazelcasts_discovery_with_the_namespace_and_service() {
    Config c = config(Map.of("SLUICE_CLUSTER_DISCOVERY", "kubernetes", "SLUICE_CLUSTER_KUBERNETES_NAMESPACE", "gw",
        "SLUICE_CLUSTER_KUBERNETES_SERVICE_NAME", "sluice-hz", "SLUICE_CLUSTER_HOST", "10.1.2.3"));
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("gw", join.getKubernetesConfig().getProperty("namespace"));
    assertEquals("sluice-hz", join.getKubernetesConfig().getProperty("service-name"));
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertEquals(List.of("10.1.2.3"), List.copyOf(c.getNetworkConfig().getInterfaces().getInterfaces()));
  }

  @Test
  void the_consumer_map_is_bounded_per_node_with_lru_and_a_ttl() {
    Config c = config(Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip", "SLUICE_CONSUMERS_CACHE_SIZE", "500",
        "SLUICE_CONSUMERS_CACHE_TTL_S", "42"));
    var map = c.getMapConfig(Clustering.CONSUMER_MAP);
    assertEquals(EvictionPolicy.LRU, map.getEvictionConfig().getEvictionPolicy());
    assertEquals(500, map.getEvictionConfig().getSize());
    assertEquals(42, map.getTimeToLiveSeconds());
  }
}
