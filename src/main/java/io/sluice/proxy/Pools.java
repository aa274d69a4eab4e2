package io.sluice.proxy;

import io.sluice.config.ServerNames;
import io.sluice.route.LiveRoutes;
import io.sluice.route.Route;
import io.sluice.route.RouteTable;
import io.sluice.settings.NodeSettings;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.sluice.tls.LiveCertificates;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The upstream connections of one event loop. Each service has its own client, so its own pool per target:
 * no service, and so no tenant, can take the connections another one needs, even when both send to the same
 * address. Within a service, one route may hold at most its share of the connections
 * ({@code upstream.route_pool_share_percent} of the pool, per target); a request beyond it waits in the
 * route's own queue (FIFO) up to the connect timeout, then is answered 503 without blaming any target, so
 * that slow uploads on one route cannot starve the service's other routes. Confined to its event loop.
 */
final class Pools {

  /** Services gone from the configuration have their pools closed within this. */
  private static final long SWEEP_MS = 10_000;
  /** HTTP/2 connections per target and loop; each carries up to the target's SETTINGS_MAX_CONCURRENT_STREAMS. */
  private static final int H2_CONNECTIONS_PER_TARGET = 2;
  /** A service's clients on a loop: one per scheme, and one per scheme for targets named by an IP address. */
  private static final int SLOTS = Target.Scheme.values().length * 2;

  /** The requests of one route on this loop: those holding a slot, and those waiting for one. */
  private static final class Slots {
    int busy;
    final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
  }

  private final Vertx vertx;
  private final NodeSettings.Upstream settings;
  private final LiveRoutes routes;
  private final Deadlines deadlines;
  /** Where the services' client certificates are looked up at each upstream handshake (null: none). */
  private final LiveCertificates certificates;
  private final Map<Upstream, HttpClientAgent[]> clients = new IdentityHashMap<>();
  /** The client certificate (alias) each client of a service with tls.client_certificate was built with. */
  private final Map<Upstream, String[]> clientAliases = new IdentityHashMap<>();
  /** By route name: a route keeps its slots across route-table rebuilds. */
  private final Map<String, Slots> slots = new java.util.HashMap<>();
  private final long sweeper;
  /** tls.engine: the TLS implementation towards targets, the listeners' own. */
  private final SSLEngineOptions tlsEngine;

  Pools(Vertx vertx, NodeSettings.Upstream settings, LiveRoutes routes, Deadlines deadlines,
        LiveCertificates certificates, SSLEngineOptions tlsEngine) {
    this.certificates = certificates;
    this.tlsEngine = tlsEngine;
    this.vertx = vertx;
    this.settings = settings;
    this.routes = routes;
    this.deadlines = deadlines;
    this.sweeper = vertx.setPeriodic(SWEEP_MS, id -> sweep());
  }

  /**
   * The client (and pools) of {@code service} for {@code target} on this loop, made on first use: one per scheme, and
   * for TLS one more for the targets named by an IP address, to which no server name is sent ({@link UpstreamTls}).
   */
  HttpClientAgent client(Upstream service, Target target) {
    Target.Scheme scheme = target.scheme();
    boolean byAddress = scheme.tls() && ServerNames.ipLiteral(target.host());
    int slot = scheme.ordinal() * 2 + (byAddress ? 1 : 0);
    HttpClientAgent[] bySlot = clients.computeIfAbsent(service, s -> new HttpClientAgent[SLOTS]);
    HttpClientAgent c = bySlot[slot];
    String id = scheme.tls() && certificates != null ? service.tls().clientCertificate() : null;
    if (c != null && id != null) {
      // A rotated client certificate: a client of its own, so that no TLS session of the old one is resumed;
      // the old client ends once its requests in flight are answered.
      String[] aliases = clientAliases.computeIfAbsent(service, s -> new String[SLOTS]);
      String now = certificates.aliasOf(id);
      if (!java.util.Objects.equals(aliases[slot], now)) {
        c.shutdown(settings.poolIdleTimeoutS(), java.util.concurrent.TimeUnit.SECONDS);
        c = null;
      }
    }
    if (c == null) {
      HttpClientOptions options = new HttpClientOptions()
          .setKeepAlive(true)
          .setKeepAliveTimeout(settings.poolIdleTimeoutS())
          .setPipelining(false)
          .setTcpNoDelay(true)
          .setDecompressionSupported(false)
          // A TCP connect that fails in time is the target's fault; a wait for a pooled connection is not:
          // the pool waits longer (see Attempt), so the two end with different errors.
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, service.timeouts().connectMs()))
          .setMaxInitialLineLength(65536)
          .setMaxHeaderSize(65536);
      UpstreamTls.configure(options, scheme, byAddress, service.tls(), certificates, tlsEngine);
      c = vertx.httpClientBuilder()
          .with(options)
          .with(new PoolOptions()
              .setHttp1MaxSize(settings.poolMaxSize())
              // HTTP/2 multiplexes: a few connections per target carry many streams each.
              .setHttp2MaxSize(H2_CONNECTIONS_PER_TARGET)
              .setMaxWaitQueueSize(settings.poolMaxWaitQueue())
              .setCleanerPeriod(1000))
          // HTTP/2 targets: the requests many clients send in one turn share one write (see H2Flushes), and the
          // connection has a client's RST_STREAM limits, not a server's (see H2ClientRstLimits). HTTP/1.x targets that
          // close after an answer: see UpstreamHalfClose.
          .withConnectHandler(conn -> {
            H2Flushes.consolidate(conn);
            H2ClientRstLimits.lift(conn);
            // A connection's failure (a target's TLS alert after the handshake, a reset) reaches the attempt on it,
            // which answers and logs it at warn; without a handler Vert.x logs it again at ERROR.
            conn.exceptionHandler(err -> { });
            UpstreamHalfClose.install(conn);
          })
          .build();
      bySlot[slot] = c;
      if (id != null) {
        clientAliases.computeIfAbsent(service, s -> new String[SLOTS])[slot] = certificates.aliasOf(id);
      }
    }
    return c;
  }

  /** How many requests of one route may hold connections at once on this loop. */
  private int share(Route route) {
    int perTarget = Math.max(1, settings.poolMaxSize() * settings.routePoolSharePercent() / 100);
    return perTarget * Math.max(1, route.upstream().targets().size());
  }

  /**
   * Takes a slot of the exchange's route: true when it may go now; false when it waits (it is started by
   * {@link Exchange#admitted} once a slot frees, or answered 503 when none does within the connect timeout).
   */
  boolean admit(Exchange ex) {
    Slots s = slots.computeIfAbsent(ex.route.name(), r -> new Slots());
    if (s.busy < share(ex.route) && s.waiting.isEmpty()) {
      s.busy++;
      return true;
    }
    s.waiting.add(ex);
    long waitMs = ex.upstream.timeouts().connectMs();
    ex.slotDeadline = deadlines.schedule(waitMs, () -> {
      if (s.waiting.remove(ex)) {
        ex.slotRefused(waitMs);
      }
    });
    return false;
  }

  /** The exchange that held a slot ended: the route's next waiting request (if any) takes it. */
  void release(Exchange ex) {
    Slots s = slots.get(ex.route.name());
    if (s == null) {
      return;
    }
    s.busy--;
    while (!s.waiting.isEmpty() && s.busy < share(ex.route)) {
      Exchange next = s.waiting.poll();
      if (next.slotDeadline != null) {
        next.slotDeadline.cancel();
        next.slotDeadline = null;
      }
      if (!next.done) {
        s.busy++;
        next.admitted();
      }
    }
  }

  /** A waiting exchange ended (its client went away): it leaves the route's queue. */
  void leave(Exchange ex) {
    Slots s = slots.get(ex.route.name());
    if (s != null) {
      s.waiting.remove(ex);
    }
  }

  /** Closes the pools of services no longer served and forgets idle routes that are gone. */
  private void sweep() {
    RouteTable table = routes.current();
    List<Upstream> gone = new ArrayList<>();
    for (Upstream u : clients.keySet()) {
      if (!table.serves(u)) {
        gone.add(u);
      }
    }
    for (Upstream u : gone) {
      clientAliases.remove(u);
      for (HttpClientAgent c : clients.remove(u)) {
        if (c != null) {
          c.close();
        }
      }
    }
    slots.values().removeIf(s -> s.busy == 0 && s.waiting.isEmpty());
  }

  Future<Void> close() {
    vertx.cancelTimer(sweeper);
    List<Future<Void>> closing = new ArrayList<>();
    for (HttpClientAgent[] byScheme : clients.values()) {
      for (HttpClientAgent c : byScheme) {
        if (c != null) {
          closing.add(c.close());
        }
      }
    }
    clients.clear();
    clientAliases.clear();
    return Future.join(closing).mapEmpty();
  }
}
