package io.sluice.upstream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.ServiceDef;
import io.sluice.util.Backoff;
import java.util.ArrayList;
import java.util.List;

/**
 * The runtime form of a service: its targets with their health, the balancer, and the retry and timeout
 * policy. Shared by every event loop; built once per configuration. Its target set may change without a new
 * configuration when discovery (DNS, SRV, Kubernetes) finds other addresses for a declared target: targets and balancer
 * are then swapped together, and a target whose address stays keeps its object (health, circuit, meters).
 */
public final class Upstream {

  /** The targets and the balancer over them, swapped whole. */
  private record Members(List<Target> targets, LoadBalancer balancer) {}

  /** Address prefix of a declared target whose addresses are the DNS SRV records of the name that follows. */
  public static final String SRV = "srv://";

  /** Address prefix of a declared target whose addresses are the ready endpoints of a Kubernetes Service. */
  public static final String K8S = "k8s://";

  /** Whether a declared address has no address of its own until discovery finds some (srv://, k8s://). */
  public static boolean discoveredOnly(String address) {
    return address.startsWith(SRV) || address.startsWith(K8S);
  }

  private final String name;
  private final String tenant;
  private final String tenantId;
  private final String basePath;
  private final String algorithm;
  private final List<ServiceDef.Target> declared;
  /** The targets of each declared target now (guarded by this). */
  private final List<List<Target>> byDeclared = new ArrayList<>();
  private volatile Members members;
  private final String hashHeader;
  private final int retries;
  private final Backoff backoff;
  private final ServiceDef.Timeouts timeouts;
  private final ServiceDef.Tls tls;
  private final ServiceDef.HealthCheck healthCheck;
  private final ServiceDef.CircuitBreaker circuit;
  private final MeterRegistry registry;

  /** Builds the service's runtime form; its targets' meters are bound in {@code registry} (the node's). */
  public Upstream(ServiceDef def, MeterRegistry registry) {
    this(def, registry, null);
  }

  /** With the owning tenant's id (null where tenants have no id: a node configured by file only). */
  public Upstream(ServiceDef def, MeterRegistry registry, String tenantId) {
    this.name = def.name();
    this.tenant = def.tenant();
    this.tenantId = tenantId;
    this.basePath = def.path().equals("/") ? "" : stripTrailingSlash(def.path());
    this.healthCheck = def.healthCheck();
    this.circuit = def.circuitBreaker();
    this.registry = registry;
    this.algorithm = def.loadBalancing().algorithm();
    this.declared = List.copyOf(def.targets());
    List<Target> all = new ArrayList<>();
    for (ServiceDef.Target t : declared) {
      // An SRV or k8s target has no address until discovery finds some; a host:port one serves as written meanwhile.
      List<Target> own = discoveredOnly(t.address()) ? List.of() : List.of(target(t.address(), t.weight()));
      byDeclared.add(own);
      all.addAll(own);
    }
    this.members = new Members(List.copyOf(all), LoadBalancer.create(algorithm, all));
    String hashOn = def.loadBalancing().hashOn();
    this.hashHeader = "consistent-hash".equals(algorithm) && hashOn.startsWith("header:")
        ? hashOn.substring("header:".length()) : null;
    this.retries = def.retries();
    this.backoff = new Backoff(def.retryBackoff().baseMs(), def.retryBackoff().capMs());
    this.timeouts = def.timeouts();
    this.tls = def.tls() == null ? new ServiceDef.Tls(null, null, null) : def.tls();
  }

  private Target target(String address, int weight) {
    return new Target(name, address, weight, new CircuitBreaker(circuit.failures(), circuit.openMs()), registry,
        activeHealth(), slowStartMs());
  }

  private ActiveHealth activeHealth() {
    return healthCheck == null ? null : new ActiveHealth(healthCheck);
  }

  private long slowStartMs() {
    return healthCheck == null ? 0 : healthCheck.slowStartMs();
  }

  /** The targets as declared (what discovery resolves). */
  public List<ServiceDef.Target> declared() {
    return declared;
  }

  /**
   * Discovery found {@code endpoints} for the declared target {@code index}: they replace its targets (an
   * endpoint whose address, host and weight are unchanged keeps its target). False when nothing changed.
   */
  public synchronized boolean discovered(int index, List<Endpoint> endpoints) {
    List<Target> before = byDeclared.get(index);
    List<Target> after = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      Target kept = null;
      for (Target t : before) {
        if (t.weight() == e.weight() && t.host().equals(e.host())
            && t.address().endsWith(Target.addressOf(e.ip(), e.port()))) {
          kept = t;
          break;
        }
      }
      after.add(kept != null ? kept : new Target(name, Target.Scheme.of(declared.get(index).address()), e.host(),
          e.ip(), e.port(), e.weight(),
          new CircuitBreaker(circuit.failures(), circuit.openMs()), registry, activeHealth(), slowStartMs()));
    }
    if (after.size() == before.size() && new java.util.HashSet<>(after).equals(new java.util.HashSet<>(before))) {
      return false;
    }
    byDeclared.set(index, List.copyOf(after));
    List<Target> all = new ArrayList<>();
    byDeclared.forEach(all::addAll);
    members = new Members(List.copyOf(all), LoadBalancer.create(algorithm, all));
    retireGone(before, all);
    return true;
  }

  /**
   * Takes the meters of the targets discovery dropped out of the registry, so that addresses coming and going
   * (pods rescheduled, DNS rotating) do not grow /metrics without bound. A series another target still reports
   * under (the same address found again, or under another declared target) stays.
   */
  private void retireGone(List<Target> before, List<Target> now) {
    java.util.Set<String> live = new java.util.HashSet<>();
    for (Target t : now) {
      live.add(t.meters().series());
    }
    for (Target t : before) {
      if (live.add(t.meters().series())) {
        t.meters().retire(registry);
      }
    }
  }

  private static String stripTrailingSlash(String p) {
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  public String name() { return name; }

  /** The tenant owning this service's traffic, or null. */
  public String tenant() { return tenant; }

  /** The owning tenant's id (what the access stream keys records by), or null. */
  public String tenantId() { return tenantId; }

  /** Path prepended on the target, without a trailing slash ("" for none). */
  public String basePath() { return basePath; }

  /** The targets now (discovery may change them; read once per use). */
  public List<Target> targets() { return members.targets(); }

  public LoadBalancer balancer() { return members.balancer(); }

  /** The header whose value is the consistent-hash key, or null to hash on the client IP. */
  public String hashHeader() { return hashHeader; }

  public boolean hashes() { return "consistent-hash".equals(algorithm); }

  public int retries() { return retries; }

  public Backoff backoff() { return backoff; }

  public ServiceDef.Timeouts timeouts() { return timeouts; }

  /** TLS to the https:// and h2:// targets (never null: verified against the system's trust by default). */
  public ServiceDef.Tls tls() { return tls; }

  /** The service's active health check, or null when it has none. */
  public ServiceDef.HealthCheck healthCheck() { return healthCheck; }
}
