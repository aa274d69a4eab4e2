package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

/**
 * Every meter name of Sluice, in one place (Prometheus conventions once exported: sluice_ prefix, base units,
 * _total counters; docs name each one, which MeterNamesDocumentedTest checks). Meters are bound once,
 * when a route or target is built, never looked up per request, in the registry of the node that builds it
 * (several nodes in one JVM, as in the cluster tests, each keep their own figures).
 */
public final class Meters {

  public static final String REQUESTS = "sluice.requests";
  public static final String REQUEST_DURATION = "sluice.request.duration";
  public static final String UPSTREAM_DURATION = "sluice.upstream.duration";
  public static final String UPSTREAM_REQUESTS = "sluice.upstream.requests";
  public static final String REQUEST_OVERHEAD = "sluice.request.overhead";
  public static final String UPSTREAM_CONNECTIONS_OPENED = "sluice.upstream.connections.opened";
  public static final String UPSTREAM_CONNECTIONS_REUSED = "sluice.upstream.connections.reused";
  public static final String UPSTREAM_CONNECTIONS_CLOSED = "sluice.upstream.connections.closed";
  public static final String UPSTREAM_CONNECTIONS_OPEN = "sluice.upstream.connections.open";
  public static final String UPSTREAM_CONNECTION_ACQUIRE = "sluice.upstream.connection.acquire";
  public static final String EVENT_LOOP_DELAY = "sluice.event.loop.delay";
  public static final String UPSTREAM_RETRIES = "sluice.upstream.retries";
  public static final String UPSTREAM_FAILURES = "sluice.upstream.failures";
  public static final String BUILD_INFO = "sluice.build.info";
  /** Cluster members a clustered node sees, itself included: nodes of one cluster that disagree are split. */
  public static final String CLUSTER_MEMBERS = "sluice.cluster.members";

  // Configuration sync (SyncMeters)
  public static final String CONFIG_APPLIED_VERSION = "sluice.config.applied.version";
  public static final String CONFIG_PROPAGATION = "sluice.config.propagation.delay";
  /** Commit of a version to the sync leader sending its event: the leader's part of the propagation delay. */
  public static final String CONFIG_LEADER_DELAY = "sluice.config.leader.delay";
  /** One read of the change log by the sync leader (a read-only transaction), per read. */
  public static final String CONFIG_LEADER_READ = "sluice.config.leader.read.duration";
  public static final String CONFIG_CATCHUPS = "sluice.config.catchups";
  public static final String CONFIG_STORE_READS = "sluice.config.store.reads";
  public static final String CONFIG_CARRIED = "sluice.config.carried";
  public static final String CONFIG_LEADER = "sluice.config.sync.leader";
  public static final String CONFIG_STORE_CONTACT_AGE = "sluice.config.store.last.contact.age";
  public static final String CONFIG_APPLY_FAILURES = "sluice.config.apply.failures";
  /** Time to check the held entities and build the route table (on a worker thread, never an event loop). */
  public static final String CONFIG_BUILD = "sluice.config.build.duration";
  /** Whole reloads of the configuration by the sync leader, by reason (change_log_pruned). */
  public static final String CONFIG_FULL_RELOADS = "sluice.config.full.reloads";
  /** Changes that touched so many consumers and credentials that the consumer caches were emptied. */
  public static final String CONFIG_CACHE_FLUSHES = "sluice.config.cache.flushes";
  /** Change-log entries the sync leader deleted past the retention. */
  public static final String CONFIG_LOG_PRUNED = "sluice.config.change.log.pruned";
  /** Entities this node did not apply as written (left out, or kept at their last good state), by type. */
  public static final String CONFIG_REJECTED = "sluice.config.rejected.entities";

  // Tracing (Tracing.bindMeters)
  /** Spans the OTLP exporter accepted, failed to send, or that were dropped because the export queue was full. */
  public static final String TRACING_SPANS_EXPORTED = "sluice.tracing.spans.exported";
  public static final String TRACING_SPANS_FAILED = "sluice.tracing.spans.failed";
  public static final String TRACING_SPANS_DROPPED = "sluice.tracing.spans.dropped";

  // Upstream health and discovery
  public static final String TARGET_HEALTHY = "sluice.upstream.target.healthy";
  public static final String HEALTH_PROBES = "sluice.upstream.health.probes";
  public static final String DISCOVERED_TARGETS = "sluice.upstream.discovered.targets";
  public static final String DISCOVERY_CHANGES = "sluice.upstream.discovery.changes";
  public static final String DISCOVERY_FAILURES = "sluice.upstream.discovery.failures";

  // Policies and consumers
  public static final String RATELIMIT_FALLBACKS = "sluice.ratelimit.fallbacks";
  public static final String RATELIMIT_REDIS_FAILURES = "sluice.ratelimit.redis.failures";
  /** Requests the redis rate limiter's local fallback admitted: Redis counts them only when it answers again. */
  public static final String RATELIMIT_FAIL_OPEN = "sluice.ratelimit.fail_open";
  public static final String RATELIMIT_DECISIONS = "sluice.ratelimit.decisions";
  public static final String CACHE_LOOKUPS = "sluice.cache.lookups";
  /** Answers of a cache miss that proxy-cache did not store, by reason. */
  public static final String CACHE_STORE_SKIPPED = "sluice.cache.store.skipped";
  /** Credentials presented on a route of another tenant, by reason. */
  public static final String AUTH_CROSS_TENANT = "sluice.auth.cross_tenant";
  public static final String CONSUMER_CACHE_LOOKUPS = "sluice.consumer.cache.lookups";
  public static final String CONSUMER_CACHE_SIZE = "sluice.consumer.cache.size";
  /** Requests refused because their consumer is stored in a form the admin API refuses (psql), by field. */
  public static final String CONSUMER_INVALID = "sluice.consumer.invalid";
  /** Requests answered before a route was found (no route, bad request head), by status and code. */
  public static final String PROXY_UNROUTED = "sluice.proxy.unrouted";

  // TLS
  public static final String TLS_CERTIFICATE_EXPIRY = "sluice.tls.certificate.expiry";
  public static final String TLS_HANDSHAKES = "sluice.tls.handshakes";
  public static final String TLS_HANDSHAKE_FAILURES = "sluice.tls.handshake.failures";

  // Access stream
  public static final String STREAM_SUBSCRIBERS = "sluice.stream.subscribers";
  public static final String STREAM_DELIVERED = "sluice.stream.records.delivered";
  public static final String STREAM_EXPORTED = "sluice.stream.records.exported";
  public static final String STREAM_SPOOLED = "sluice.stream.records.spooled";
  public static final String STREAM_DROPPED = "sluice.stream.records.dropped";
  public static final String STREAM_CHUNKS_RESENT = "sluice.stream.chunks.resent";
  public static final String STREAM_KAFKA_RECORDS = "sluice.stream.kafka.records";
  public static final String STREAM_EXPORT_LAG = "sluice.stream.export.lag";
  public static final String STREAM_SPOOL_BYTES = "sluice.stream.spool.bytes";
  public static final String STREAM_SPOOL_PENDING_BYTES = "sluice.stream.spool.pending.bytes";
  public static final String STREAM_EXPORT_STALLED = "sluice.stream.export.stalled";

  private Meters() {}

  /** A private in-memory registry, for code built outside a node (unit tests). */
  public static MeterRegistry detached() {
    return new SimpleMeterRegistry();
  }

  /**
   * Buckets of the per-route latency histograms, in milliseconds (Kong's Prometheus plugin's, with the alerts'
   * thresholds, 50 ms and 1 s, among them): a fixed set, so that a route costs about 60 series instead of the
   * 220 of a percentile histogram from 1 ms to 60 s (at 5,000 routes a scrape was 83 MB and timed out).
   */
  private static final double[] ROUTE_BUCKETS_MS = {1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1_000, 2_000,
      5_000, 10_000, 30_000, 60_000};

  private static Duration[] buckets(long maxMs) {
    return java.util.Arrays.stream(ROUTE_BUCKETS_MS).filter(b -> b <= maxMs)
        .mapToObj(b -> Duration.ofNanos((long) (b * 1_000_000))).toArray(Duration[]::new);
  }

  /**
   * The meters of one route: requests by status class, whole-request and upstream latency. Registered at the
   * route's first request, not when the route is built: a route that is never called costs no series (a table
   * of 10,000 routes would otherwise put every one of them in every scrape).
   */
  public static final class RouteMeters {
    private final MeterRegistry registry;
    private final String route;
    private final String service;
    /** Null until the first request; then the registered meters (read on every request, written once). */
    private volatile Live live;
    private boolean retired;

    private record Live(Counter[] byClass, Timer duration, Timer upstream, Timer overhead) {}

    public RouteMeters(MeterRegistry r, String route, String service) {
      this.registry = r;
      this.route = route;
      this.service = service;
    }

    private synchronized Live register() {
      if (live != null || retired) {
        return live; // null once retired: a request still in flight on a replaced route registers nothing again
      }
      Counter[] byClass = new Counter[6];
      for (int c = 1; c <= 5; c++) {
        byClass[c] = Counter.builder(REQUESTS).description("Requests answered, by route and status class")
            .tags("route", route, "service", service, "status", c + "xx").register(registry);
      }
      Timer duration = Timer.builder(REQUEST_DURATION).description("Whole request, as the client sees it")
          .tags("route", route).serviceLevelObjectives(buckets(60_000)).register(registry);
      Timer upstream = Timer.builder(UPSTREAM_DURATION).description("Request sent to response ended, upstream part")
          .tags("route", route).serviceLevelObjectives(buckets(60_000)).register(registry);
      Timer overhead = Timer.builder(REQUEST_OVERHEAD)
          .description("What Sluice adds: the whole request minus its upstream part (requests that reached one)")
          .tags("route", route).serviceLevelObjectives(buckets(10_000)).register(registry);
      live = new Live(byClass, duration, upstream, overhead);
      return live;
    }

    /**
     * Takes this route's series out of the registry unless {@code successor} (the route of the same name in
     * the table now served, or null) reports under the same ones: a deleted route's meters must not stay
     * registered for ever. By name and tags, so that series a predecessor registered under the same ones go too;
     * each by its id, never by a search: a search walks every meter of the registry (at 10,000 routes, half of them
     * called, a node applying 50 changes a second fell a minute behind in its retires alone).
     */
    public synchronized void retire(MeterRegistry r, RouteMeters successor) {
      if (successor != null && successor.route.equals(route) && successor.service.equals(service)) {
        return;
      }
      retired = true;
      for (int c = 1; c <= 5; c++) {
        r.removeByPreFilterId(new Meter.Id(REQUESTS, Tags.of("route", route, "service", service, "status", c + "xx"),
            null, null, Meter.Type.COUNTER));
      }
      if (successor == null || !successor.route.equals(route)) {
        for (String name : new String[] {REQUEST_DURATION, UPSTREAM_DURATION, REQUEST_OVERHEAD}) {
          r.removeByPreFilterId(new Meter.Id(name, Tags.of("route", route), null, null, Meter.Type.TIMER));
        }
      }
    }

    public void record(int status, long totalNanos, long upstreamNanos) {
      Live l = live;
      if (l == null && (l = register()) == null) {
        return;
      }
      int c = status / 100;
      l.byClass[c >= 1 && c <= 5 ? c : 5].increment();
      l.duration.record(totalNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      if (upstreamNanos > 0) {
        l.upstream.record(upstreamNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        l.overhead.record(Math.max(0, totalNanos - upstreamNanos), java.util.concurrent.TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Per registry, the targets ("service target") whose open-connections gauge is registered. */
  private static final java.util.Map<MeterRegistry, java.util.Set<String>> OPEN_GAUGES =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  private static java.util.Set<String> openGauges(MeterRegistry r) {
    return OPEN_GAUGES.computeIfAbsent(r, k -> java.util.concurrent.ConcurrentHashMap.newKeySet());
  }

  /**
   * The meters of one target: attempts, retries, failures; connections opened, reused, closed (by either
   * side: the target, or the pool's idle eviction) and open now; the time to obtain a connection, where
   * pool waits show.
   */
  public static final class TargetMeters {
    public final Counter requests;
    public final Counter opened;
    public final Counter reused;
    public final Counter closed;
    public final Timer acquire;
    public final Counter retries;
    public final Counter failures;

    private final String series;

    public TargetMeters(MeterRegistry r, String service, String target) {
      series = service + " " + target;
      requests = Counter.builder(UPSTREAM_REQUESTS).description("Attempts sent to the target")
          .tags("service", service, "target", target).register(r);
      opened = Counter.builder(UPSTREAM_CONNECTIONS_OPENED)
          .description("Connections opened to the target; attempts minus this were served on reused connections")
          .tags("service", service, "target", target).register(r);
      reused = Counter.builder(UPSTREAM_CONNECTIONS_REUSED).description("Attempts served on a pooled connection")
          .tags("service", service, "target", target).register(r);
      closed = Counter.builder(UPSTREAM_CONNECTIONS_CLOSED)
          .description("Connections to the target that closed (by the target, or evicted idle by the pool)")
          .tags("service", service, "target", target).register(r);
      // Opened minus closed, from the counters: the registry hands every rebuild of this target the same two
      // counters, so the gauge stays true across configuration changes (a gauge over a per-object field would
      // keep reading the first object's). Registered once (a search of the registry for it would walk every meter,
      // for every target of every build; registering it again logs a warning).
      if (openGauges(r).add(series)) {
        Counter open = opened;
        Counter gone = closed;
        Gauge.builder(UPSTREAM_CONNECTIONS_OPEN, () -> open.count() - gone.count())
            .description("Connections to the target open now").tags("service", service, "target", target)
            .register(r);
      }
      acquire = Timer.builder(UPSTREAM_CONNECTION_ACQUIRE)
          .description("Time to obtain a connection: from the pool, after a wait in its queue, or newly opened")
          .tags("service", service, "target", target).publishPercentileHistogram()
          .maximumExpectedValue(Duration.ofSeconds(30)).register(r);
      retries = Counter.builder(UPSTREAM_RETRIES).description("Attempts that were retries")
          .tags("service", service, "target", target).register(r);
      failures = Counter.builder(UPSTREAM_FAILURES)
          .description("Connect errors, timeouts and 502/503/504 answers (what opens the circuit)")
          .tags("service", service, "target", target).register(r);
    }

    /** "service target": the series these meters report under. */
    public String series() {
      return series;
    }

    /** Takes the target's series out of the registry (its service, or the target, is gone). */
    public void retire(MeterRegistry r) {
      for (Meter m : new Meter[] {requests, opened, reused, closed, acquire, retries, failures}) {
        r.remove(m);
      }
      openGauges(r).remove(series);
      r.removeByPreFilterId(new Meter.Id(UPSTREAM_CONNECTIONS_OPEN, Tags.of("service",
          series.substring(0, series.indexOf(' ')), "target", series.substring(series.indexOf(' ') + 1)), null, null,
          Meter.Type.GAUGE));
    }
  }
}
