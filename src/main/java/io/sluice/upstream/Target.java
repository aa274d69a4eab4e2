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

  public Target(String service, String address, int weight, CircuitBreaker breaker, MeterRegistry registry) {
    int colon = address.lastIndexOf(':');
    this.host = address.substring(0, colon);
    this.port = Integer.parseInt(address.substring(colon + 1));
    this.address = address;
    this.weight = weight;
    this.breaker = breaker;
    this.socketAddress = SocketAddress.inetSocketAddress(port, host);
    this.meters = new Meters.TargetMeters(registry, service, address);
  }

  public String host() { return host; }

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
