package io.sluice.upstream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.ServiceDef;
import io.sluice.util.Backoff;
import java.util.List;

/**
 * The runtime form of a service: its targets with their health, the balancer, and the retry and timeout
 * policy. Shared by every event loop; built once per configuration.
 */
public final class Upstream {

  private final String name;
  private final String tenant;
  private final String basePath;
  private final List<Target> targets;
  private final LoadBalancer balancer;
  private final String hashHeader;
  private final int retries;
  private final Backoff backoff;
  private final ServiceDef.Timeouts timeouts;
  private final ServiceDef.HealthCheck healthCheck;

  /** Builds the service's runtime form; its targets' meters are bound in {@code registry} (the node's). */
  public Upstream(ServiceDef def, MeterRegistry registry) {
    this.name = def.name();
    this.tenant = def.tenant();
    this.basePath = def.path().equals("/") ? "" : stripTrailingSlash(def.path());
    this.healthCheck = def.healthCheck();
    this.targets = def.targets().stream()
        .map(t -> new Target(def.name(), t.address(), t.weight(),
            new CircuitBreaker(def.circuitBreaker().failures(), def.circuitBreaker().openMs()), registry,
            healthCheck == null ? null : new ActiveHealth(healthCheck), healthCheck == null ? 0 : healthCheck.slowStartMs()))
        .toList();
    this.balancer = LoadBalancer.create(def.loadBalancing().algorithm(), targets);
    String hashOn = def.loadBalancing().hashOn();
    this.hashHeader = "consistent-hash".equals(def.loadBalancing().algorithm()) && hashOn.startsWith("header:")
        ? hashOn.substring("header:".length()) : null;
    this.retries = def.retries();
    this.backoff = new Backoff(def.retryBackoff().baseMs(), def.retryBackoff().capMs());
    this.timeouts = def.timeouts();
  }

  private static String stripTrailingSlash(String p) {
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  public String name() { return name; }

  /** The tenant owning this service's traffic, or null. */
  public String tenant() { return tenant; }

  /** Path prepended on the target, without a trailing slash ("" for none). */
  public String basePath() { return basePath; }

  public List<Target> targets() { return targets; }

  public LoadBalancer balancer() { return balancer; }

  /** The header whose value is the consistent-hash key, or null to hash on the client IP. */
  public String hashHeader() { return hashHeader; }

  public boolean hashes() { return balancer instanceof ConsistentHash; }

  public int retries() { return retries; }

  public Backoff backoff() { return backoff; }

  public ServiceDef.Timeouts timeouts() { return timeouts; }

  /** The service's active health check, or null when it has none. */
  public ServiceDef.HealthCheck healthCheck() { return healthCheck; }
}
