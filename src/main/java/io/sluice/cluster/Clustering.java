package io.sluice.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.sluice.settings.NodeSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a node's Vert.x: clustered on Hazelcast when {@code cluster.discovery} is tcp-ip or kubernetes
 * (multicast and auto-detection always off), plain otherwise (a single node needs no cluster settings).
 * The answer is the node's {@link Membership}: its id, the live members, and merge notifications.
 */
public final class Clustering {

  /** The cluster-wide consumer cache map (bounded per node: LRU past consumers.cache_size, TTL). */
  public static final String CONSUMER_MAP = "sluice.consumers";

  private static final Logger LOG = LoggerFactory.getLogger(Clustering.class);

  private Clustering() {}

  /** Builds the Vert.x of a node with its options, on {@code transport}. */
  public static Future<Membership> start(VertxOptions options, Transport transport, NodeSettings settings) {
    VertxBuilder builder = Vertx.builder().with(options).withTransport(transport);
    NodeSettings.Cluster c = settings.cluster();
    if (!c.enabled()) {
      Vertx vertx = builder.build();
      String id = UUID.randomUUID().toString();
      return Future.succeededFuture(new Membership(vertx, id, () -> List.of(id), null, null));
    }
    options.getEventBusOptions().setHost(c.host()).setPort(c.eventBusPort());
    AsyncCallbacks.install();
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(settings));
    List<Runnable> mergeListeners = new CopyOnWriteArrayList<>();
    return builder.with(options).withClusterManager(manager).buildClustered().map(vertx -> {
      HazelcastInstance hazelcast = manager.getHazelcastInstance();
      Membership membership = new Membership(vertx, manager.getNodeId(), manager::getNodes, mergeListeners,
          (map, r) -> hazelcast.getMap(map).addPartitionLostListener(e -> {
            LOG.debug("cluster: map {} lost the entries of partition {}", e.getName(), e.getPartitionId());
            r.run();
          }));
      hazelcast.getLifecycleService().addLifecycleListener(e -> {
        if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
          membership.merged();
        }
      });
      return membership;
    });
  }

  /** Seconds between a master's looks for the other part of a split cluster (see hazelcastConfig). */
  static final int MERGE_LOOK_S = 10;

  static Config hazelcastConfig(NodeSettings settings) {
    NodeSettings.Cluster c = settings.cluster();
    // Vert.x's own maps (subscriptions, node info) keep the settings of its default cluster.xml.
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(c.name());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // The first member otherwise waits 5 s for others before it forms a cluster of one.
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    // Near-cache invalidations are otherwise batched and flushed every 10 s (STACK-NOTES).
    config.setProperty("hazelcast.map.invalidation.batch.enabled", "false");
    // A member whose process is gone closes its sockets and is removed at once; a silent one after this.
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "15");
    config.setProperty("hazelcast.socket.bind.any", "false");
    // How often a cluster's master looks for the other part of a split to merge with: Hazelcast's defaults (first
    // after 300 s, then every 120 s) left a node paused 25 s apart from its cluster for minutes after it woke. A look
    // is one join request to each discovered member not in the cluster (or one Kubernetes API call).
    config.setProperty("hazelcast.merge.first.run.delay.seconds", Integer.toString(MERGE_LOOK_S));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", Integer.toString(MERGE_LOOK_S));
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(c.port()).setPortAutoIncrement(true);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(c.host()));
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if ("kubernetes".equals(c.discovery())) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true);
      if (!c.kubernetes().namespace().isBlank()) {
        join.getKubernetesConfig().setProperty("namespace", c.kubernetes().namespace());
      }
      if (!c.kubernetes().serviceName().isBlank()) {
        join.getKubernetesConfig().setProperty("service-name", c.kubernetes().serviceName());
      }
    } else {
      List<String> members = Arrays.stream(c.members().split(",")).map(String::trim).filter(m -> !m.isEmpty())
          .toList();
      join.getTcpIpConfig().setEnabled(true).setMembers(members.isEmpty() ? List.of(c.host()) : members);
    }
    NodeSettings.Consumers consumers = settings.consumers();
    config.addMapConfig(new MapConfig(CONSUMER_MAP)
        .setTimeToLiveSeconds(consumers.cacheTtlS())
        .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
            .setMaxSizePolicy(MaxSizePolicy.PER_NODE).setSize(consumers.cacheSize())));
    return config;
  }
}
