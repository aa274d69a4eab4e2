package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.sluice.cluster.Clustering;
import io.sluice.cluster.Membership;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import io.sluice.testing.Ports;
import io.vertx.core.Future;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Once a node's Hazelcast member is shutting down, a call on the cluster maps fails its future instead of throwing:
 * Hazelcast throws HazelcastInstanceNotActiveException at once, and thrown on a timer (a node's applied version
 * written to the map a moment after it applied) it was an ERROR line with its stack at a node's stop, seen in the
 * suite's own output.
 */
class ClusterMapsStoppingTest {

  @Test
  void calls_on_the_maps_of_a_stopped_member_fail_their_future_and_throw_nothing() {
    int port = Ports.free();
    NodeSettings settings = new SettingsLoader().load(null, false, Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip",
        "SLUICE_CLUSTER_NAME", "maps-stopping-" + Long.toHexString(System.nanoTime()),
        "SLUICE_CLUSTER_MEMBERS", "127.0.0.1:" + port, "SLUICE_CLUSTER_PORT", String.valueOf(port),
        "SLUICE_CLUSTER_HOST", "127.0.0.1"));
    Membership member = Clustering.start(new VertxOptions(), Transport.NIO, settings).await();
    try {
      ClusterMaps maps = ClusterMaps.open(member.vertx()).await();
      maps.putNode("n1", "{}").await();
      ((HazelcastClusterManager) ((VertxInternal) member.vertx()).clusterManager()).getHazelcastInstance().shutdown();
      for (Supplier<Future<?>> call : java.util.List.<Supplier<Future<?>>>of(
          () -> maps.putNode("n1", "{}"), maps::nodes, maps::published, maps::all, maps::leader)) {
        Future<?> f = call.get(); // threw before
        Throwable failure = waitFor(f);
        assertTrue(failure instanceof HazelcastInstanceNotActiveException, String.valueOf(failure));
      }
    } finally {
      member.vertx().close();
    }
  }

  private static Throwable waitFor(Future<?> f) {
    try {
      f.await();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }
}
