package io.sluice.upstream.discovery;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.resolver.DefaultHostsFileEntriesResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.util.NetUtil;
import io.sluice.config.ServiceDef;
import io.sluice.settings.NodeSettings;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Discovery of the node: follows the services of the current route table (every {@value #RECONCILE_MS} ms)
 * and keeps a {@link DnsWatch} on each declared target that names a host by DNS (not an IP address, not a name
 * of /etc/hosts) or SRV records, and a {@link KubernetesWatch} on each k8s:// target. What it finds changes the service's targets in memory only: no configuration
 * version, but visible in /services/{name}/health, the logs and the metrics.
 */
public final class DiscoveryVerticle extends VerticleBase {

  static final long RECONCILE_MS = 500;

  private final Supplier<Collection<Upstream>> upstreams;
  private final NodeSettings.Discovery settings;
  private final DiscoveryMeters meters;
  /** The watches of each service (by identity: a reconfigured service is a new object). */
  private final Map<Upstream, List<Watch>> watches = new IdentityHashMap<>();
  private DnsLookup dns;
  /** The Kubernetes API client, made (off the event loop) on the first k8s:// target. */
  private Future<KubernetesClient> kube;
  private long reconciler;

  public DiscoveryVerticle(Supplier<Collection<Upstream>> upstreams, NodeSettings.Discovery settings,
                           MeterRegistry registry) {
    this.upstreams = upstreams;
    this.settings = settings;
    this.meters = new DiscoveryMeters(registry);
  }

  /** Whether a declared address needs discovery: srv://, or a host name neither an IP nor in /etc/hosts. */
  static boolean discovered(String address) {
    if (Upstream.discoveredOnly(address)) {
      return true;
    }
    String host = Target.hostOf(address);
    return !NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)
        && DefaultHostsFileEntriesResolver.DEFAULT.address(host, ResolvedAddressTypes.IPV4_PREFERRED) == null;
  }

  @Override
  public Future<?> start() {
    reconcile();
    reconciler = vertx.setPeriodic(RECONCILE_MS, id -> reconcile());
    return Future.succeededFuture();
  }

  private void reconcile() {
    Set<Upstream> live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    Set<String> names = new HashSet<>();
    for (Upstream u : upstreams.get()) {
      live.add(u);
      if (watches.containsKey(u)) {
        names.add(u.name());
        continue;
      }
      List<Watch> own = new ArrayList<>();
      List<ServiceDef.Target> declared = u.declared();
      for (int i = 0; i < declared.size(); i++) {
        if (declared.get(i).address().startsWith(Upstream.K8S)) {
          if (kube == null) {
            kube = vertx.executeBlocking(() -> KubeApi.client(settings)); // reads files: never on the loop
          }
          own.add(new KubernetesWatch(context, kube, u, i, meters));
        } else if (discovered(declared.get(i).address())) {
          if (dns == null) {
            dns = new DnsLookup(settings); // made on first need: a node without DNS targets has no DNS thread
          }
          own.add(new DnsWatch(vertx, context, dns, u, i, settings.dnsMinTtlS(), settings.dnsMaxTtlS(), meters));
        }
      }
      watches.put(u, own);
      if (!own.isEmpty()) {
        meters.bind(u);
        names.add(u.name());
        own.forEach(Watch::start);
      }
    }
    watches.entrySet().removeIf(e -> {
      if (live.contains(e.getKey())) {
        return false;
      }
      e.getValue().forEach(Watch::stop);
      return true;
    });
    for (Map.Entry<Upstream, List<Watch>> e : watches.entrySet()) {
      if (!e.getValue().isEmpty()) {
        names.add(e.getKey().name());
      }
    }
    meters.retain(names);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(reconciler);
    watches.values().forEach(w -> w.forEach(Watch::stop));
    watches.clear();
    if (dns != null) {
      dns.close();
    }
    if (kube == null) {
      return Future.succeededFuture();
    }
    // After the watches' stop tasks (the same ordered worker queue); a client that failed to start is no error.
    return kube.compose(c -> vertx.executeBlocking(() -> {
      c.close();
      return null;
    }), err -> Future.succeededFuture());
  }
}
