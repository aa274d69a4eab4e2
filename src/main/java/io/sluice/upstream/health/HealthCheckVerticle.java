package io.sluice.upstream.health;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The active health checks of one node: follows the services of the current route table (every
 * {@value #RECONCILE_MS} ms), probes each target of a service with a health check on its own schedule (see
 * {@link Jitter}), and keeps the per-target health gauges pointed at the targets routes send to. Probes are
 * asynchronous on this verticle's own context and clients (no proxy connection is used or reused).
 */
public final class HealthCheckVerticle extends VerticleBase {

  /** How soon a new service, target or health check is probed (and a removed one no longer is). */
  static final long RECONCILE_MS = 500;
  /** Connections the probes of this node may have open to one target at once (a probe runs one at a time). */
  private static final int MAX_CONNECTIONS_PER_TARGET = 2;

  private final Supplier<Collection<Upstream>> upstreams;
  private final HealthMeters meters;
  /** By identity: a reconfigured service or a rediscovered target is a new object with new probes. */
  private final Map<Target, Probe> probes = new IdentityHashMap<>();
  private HttpClient http;
  private NetClient tcp;
  private Jitter jitter;
  private long reconciler;

  /** {@code upstreams}: the services the node routes to now (read on this verticle's context). */
  public HealthCheckVerticle(Supplier<Collection<Upstream>> upstreams, MeterRegistry registry) {
    this.upstreams = upstreams;
    this.meters = new HealthMeters(registry);
  }

  @Override
  public Future<?> start() {
    // No keep-alive: every probe opens (and closes) its own connection.
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setTcpNoDelay(true)
        .setDecompressionSupported(false), new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_TARGET));
    tcp = vertx.createNetClient(new NetClientOptions());
    jitter = new Jitter(new SplittableRandom());
    reconcile();
    reconciler = vertx.setPeriodic(RECONCILE_MS, id -> reconcile());
    return Future.succeededFuture();
  }

  private void reconcile() {
    Set<Target> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    Set<String> names = new HashSet<>();
    for (Upstream u : upstreams.get()) {
      for (Target t : u.targets()) {
        seen.add(t);
        names.add(u.name() + " " + t.address());
        meters.bind(u.name(), t);
        if (u.healthCheck() != null && t.active() != null && !probes.containsKey(t)) {
          Probe p = new Probe(vertx, u.name(), t, u.healthCheck(), http, tcp, jitter, meters);
          probes.put(t, p);
          p.start();
        }
      }
    }
    List<Target> gone = new ArrayList<>();
    for (Target t : probes.keySet()) {
      if (!seen.contains(t)) {
        gone.add(t);
      }
    }
    for (Target t : gone) {
      probes.remove(t).stop();
    }
    meters.retain(names);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(reconciler);
    probes.values().forEach(Probe::stop);
    probes.clear();
    return Future.join(http.close(), tcp.close());
  }
}
