package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

/**
 * Meter names (Prometheus conventions: sluice_ prefix, base units, _total counters). Meters are bound once,
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

  private Meters() {}

  /** A private in-memory registry, for code built outside a node (unit tests). */
  public static MeterRegistry detached() {
    return new SimpleMeterRegistry();
  }

  /** The meters of one route: requests by status class, whole-request and upstream latency. */
  public static final class RouteMeters {
    private final Counter[] byClass = new Counter[6];
    private final Timer duration;
    private final Timer upstream;
    private final Timer overhead;

    public RouteMeters(MeterRegistry r, String route, String service) {
      for (int c = 1; c <= 5; c++) {
        byClass[c] = Counter.builder(REQUESTS).description("Requests answered, by route and status class")
            .tags("route", route, "service", service, "status", c + "xx").register(r);
      }
      duration = Timer.builder(REQUEST_DURATION).description("Whole request, as the client sees it")
          .tags("route", route).publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(60))
          .register(r);
      upstream = Timer.builder(UPSTREAM_DURATION).description("Request sent to response ended, upstream part")
          .tags("route", route).publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(60))
          .register(r);
      overhead = Timer.builder(REQUEST_OVERHEAD)
          .description("What Sluice adds: the whole request minus its upstream part (requests that reached one)")
          .tags("route", route).publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(10))
          .register(r);
    }

    public void record(int status, long totalNanos, long upstreamNanos) {
      int c = status / 100;
      byClass[c >= 1 && c <= 5 ? c : 5].increment();
      duration.record(totalNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      if (upstreamNanos > 0) {
        upstream.record(upstreamNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        overhead.record(Math.max(0, totalNanos - upstreamNanos), java.util.concurrent.TimeUnit.NANOSECONDS);
      }
    }
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

    public TargetMeters(MeterRegistry r, String service, String target) {
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
      // keep reading the first object's).
      if (r.find(UPSTREAM_CONNECTIONS_OPEN).tags("service", service, "target", target).gauge() == null) {
        Gauge.builder(UPSTREAM_CONNECTIONS_OPEN, () -> opened.count() - closed.count())
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
  }
}
