package io.sluice.route;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.RouteDef;
import io.sluice.metrics.Meters;
import io.sluice.policy.PolicyChain;
import io.sluice.upstream.Upstream;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The runtime form of a route: its conditions beyond host and path, and where it sends requests. */
public final class Route {

  private final String name;
  private final Upstream upstream;
  private final Set<String> methods;
  private final String[] headerNames;
  private final Set<String>[] headerValues;
  private final boolean stripPath;
  private final boolean preserveHost;
  private final int priority;
  private final RouteDef def;
  private final Meters.RouteMeters meters;
  private final PolicyChain policies;

  @SuppressWarnings("unchecked")
  /** {@code policies}: the route's chain, resolved when the table is built; null when it has none. */
  public Route(RouteDef def, Upstream upstream, MeterRegistry registry, PolicyChain policies) {
    this.def = def;
    this.policies = policies;
    this.name = def.name();
    this.upstream = upstream;
    this.methods = Set.copyOf(def.methods());
    List<Map.Entry<String, List<String>>> headers = List.copyOf(def.headers().entrySet());
    this.headerNames = new String[headers.size()];
    this.headerValues = new Set[headers.size()];
    for (int i = 0; i < headers.size(); i++) {
      headerNames[i] = headers.get(i).getKey();
      headerValues[i] = headers.get(i).getValue().stream()
          .map(v -> v.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }
    this.stripPath = def.stripPath();
    this.preserveHost = def.preserveHost();
    this.priority = def.priority();
    this.meters = new Meters.RouteMeters(registry, name, upstream.name());
  }

  /** Method and header conditions (host and path are the table's job). */
  boolean accepts(String method, MultiMap headers) {
    if (!methods.isEmpty() && !methods.contains(method)) {
      return false;
    }
    for (int i = 0; i < headerNames.length; i++) {
      if (!anyValue(headers.getAll(headerNames[i]), headerValues[i])) {
        return false;
      }
    }
    return true;
  }

  private static boolean anyValue(List<String> present, Set<String> accepted) {
    for (String v : present) {
      if (accepted.contains(v.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  public String name() { return name; }

  public Meters.RouteMeters meters() { return meters; }

  public Upstream upstream() { return upstream; }

  /** The policies that run on this route, or null (the common case, which costs one null check). */
  public PolicyChain policies() { return policies; }

  public String service() { return upstream.name(); }

  public boolean stripPath() { return stripPath; }

  public boolean preserveHost() { return preserveHost; }

  public int priority() { return priority; }

  /** The definition this route was built from. */
  public RouteDef def() { return def; }

  /**
   * Whether this route is what a build of {@code def} sending to {@code upstream} with {@code chain} would
   * make: then it is reused as is (its meters, its policy instances), and the change costs nothing here.
   */
  boolean sameAs(RouteDef def, Upstream upstream, PolicyChain chain) {
    return this.upstream == upstream && (this.def == def || this.def.equals(def))
        && (policies == null ? chain == null : policies.sameAs(chain));
  }
}
