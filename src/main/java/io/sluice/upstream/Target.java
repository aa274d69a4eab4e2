package io.sluice.upstream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.metrics.Meters;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/** One backend address of a service, with its weight, passive health and in-flight count. */
public final class Target {

  private final String host;
  private final int port;
  private final int weight;
  private final String address;
  private final SocketAddress socketAddress;
  private final CircuitBreaker breaker;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Meters.TargetMeters meters;

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

    static Scheme of(String address) {
      int sep = address.indexOf("://");
      return sep < 0 ? HTTP : valueOf(address.substring(0, sep).toUpperCase(java.util.Locale.ROOT));
    }
  }

  private final Scheme scheme;

  public Target(String service, String address, int weight, CircuitBreaker breaker, MeterRegistry registry) {
    this.scheme = Scheme.of(address);
    int sep = address.indexOf("://");
    int colon = address.lastIndexOf(':');
    this.host = address.substring(sep < 0 ? 0 : sep + 3, colon);
    this.port = Integer.parseInt(address.substring(colon + 1));
    this.address = address;
    this.weight = weight;
    this.breaker = breaker;
    this.socketAddress = SocketAddress.inetSocketAddress(port, host);
    this.meters = new Meters.TargetMeters(registry, service, address);
  }

  public String host() { return host; }

  public Scheme scheme() { return scheme; }

  public int port() { return port; }

  public int weight() { return weight; }

  public String address() { return address; }

  public SocketAddress socketAddress() { return socketAddress; }

  public CircuitBreaker breaker() { return breaker; }

  public Meters.TargetMeters meters() { return meters; }

  public int inFlight() { return inFlight.get(); }

  public void started() { inFlight.incrementAndGet(); }

  public void finished() { inFlight.decrementAndGet(); }

  @Override
  public String toString() {
    return address;
  }
}
