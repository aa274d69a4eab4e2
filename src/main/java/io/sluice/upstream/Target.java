package io.sluice.upstream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.metrics.Meters;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend address of a service, with its weight, passive health (circuit breaker), active health (when
 * the service has a health check) and in-flight count. Either health takes it out of service; it is back only
 * once both agree (the active check up, the circuit closed by a successful trial request).
 */
public final class Target {

  private final String host;
  private final int port;
  private final int weight;
  private final String address;
  private final SocketAddress socketAddress;
  private final CircuitBreaker breaker;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Meters.TargetMeters meters;
  private final ActiveHealth active;
  private final long slowStartNanos;

  /** How the proxy speaks to a target: the scheme of its address (none is HTTP). */
  public enum Scheme {
    /** HTTP/1.1 in the clear. */
    HTTP,
    /** HTTP/1.1 over TLS. */
    HTTPS,
    /** HTTP/2 over TLS (ALPN h2). */
    H2,
    /** HTTP/2 in the clear with prior knowledge. */
    H2C;

    public boolean tls() {
      return this == HTTPS || this == H2;
    }

    public boolean http2() {
      return this == H2 || this == H2C;
    }

    /** The scheme of {@code [scheme://]host:port}; none, srv:// and k8s:// (which find plain targets), are HTTP. */
    public static Scheme of(String address) {
      int sep = address.indexOf("://");
      return sep < 0 || Upstream.discoveredOnly(address) ? HTTP
          : valueOf(address.substring(0, sep).toUpperCase(java.util.Locale.ROOT));
    }
  }

  private final Scheme scheme;

  public Target(String service, String address, int weight, CircuitBreaker breaker, MeterRegistry registry) {
    this(service, address, weight, breaker, registry, null, 0);
  }

  /** {@code active}: the health check's view (null without one); {@code slowStartMs}: 0 for none. */
  public Target(String service, String address, int weight, CircuitBreaker breaker, MeterRegistry registry,
                ActiveHealth active, long slowStartMs) {
    this(service, Scheme.of(address), hostOf(address), null,
        Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)), weight, breaker, registry, active,
        slowStartMs);
  }

  /** The host of {@code [scheme://]host:port}; an IPv6 literal ({@code [::1]:8080}) without its brackets. */
  public static String hostOf(String address) {
    int sep = address.indexOf("://");
    String host = address.substring(sep < 0 ? 0 : sep + 3, address.lastIndexOf(':'));
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * A target whose {@code host} (the Host header, TLS name) was resolved by discovery to {@code ip} (null: the
   * host is connected to as it is, resolved by Vert.x). Its address (meters, reports) is ip:port when resolved.
   */
  public Target(String service, Scheme scheme, String host, String ip, int port, int weight, CircuitBreaker breaker,
                MeterRegistry registry, ActiveHealth active, long slowStartMs) {
    this.scheme = scheme;
    this.active = active;
    this.slowStartNanos = slowStartMs * 1_000_000L;
    this.host = host;
    this.port = port;
    this.address = (scheme == Scheme.HTTP ? "" : scheme.name().toLowerCase(java.util.Locale.ROOT) + "://")
        + addressOf(ip == null ? host : ip, port);
    this.weight = weight;
    this.breaker = breaker;
    this.socketAddress = SocketAddress.inetSocketAddress(port, ip == null ? host : ip);
    this.meters = new Meters.TargetMeters(registry, service, address);
  }

  /** ip:port, the IPv6 address in brackets. */
  public static String addressOf(String ip, int port) {
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
  }

  /** The host name of the Host header (for a discovered target, the name it was found under). */
  public String host() { return host; }

  /** {@link #host} as an authority writes it: an IPv6 literal in brackets (RFC 3986 3.2.2), so Host is {@code [::1]:port}. */
  public String authorityHost() {
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  public Scheme scheme() { return scheme; }

  public int port() { return port; }

  public int weight() { return weight; }

  public String address() { return address; }

  public SocketAddress socketAddress() { return socketAddress; }

  public CircuitBreaker breaker() { return breaker; }

  public Meters.TargetMeters meters() { return meters; }

  /** The active health check's view of this target, or null when its service has none. */
  public ActiveHealth active() { return active; }

  /** Whether the active check (if any) has it in service. */
  public boolean activeUp() { return active == null || active.up(); }

  /**
   * Whether an attempt may go to this target now, its circuit acquired when so: the active check has it up,
   * during a slow start (with {@code ramp}) a draw at the share reached so far admits it, and the circuit
   * lets the attempt through.
   */
  public boolean acquire(long now, boolean ramp) {
    if (active != null && !active.up()) {
      return false;
    }
    if (ramp && slowStartNanos > 0 && rampRemaining(now) > 0
        && ThreadLocalRandom.current().nextLong(slowStartNanos) >= slowStartNanos - rampRemaining(now)) {
      return false;
    }
    return breaker.tryAcquire(now);
  }

  /** Nanoseconds left of this target's slow start (0: full share). */
  public long rampRemaining(long now) {
    if (slowStartNanos == 0) {
      return 0;
    }
    long since = Math.max(active == null ? 0 : active.upSince(), breaker.closedAt());
    return since == 0 ? 0 : Math.max(0, slowStartNanos - (now - since));
  }

  /** In service: the active check (if any) up and the circuit closed. */
  public boolean healthy(long now) {
    return activeUp() && breaker.state(now) == CircuitBreaker.State.CLOSED;
  }

  public int inFlight() { return inFlight.get(); }

  public void started() { inFlight.incrementAndGet(); }

  public void finished() { inFlight.decrementAndGet(); }

  @Override
  public String toString() {
    return address;
  }
}
