package io.sluice.route;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.PathPattern;
import io.sluice.config.RouteDef;
import io.sluice.policy.PolicyChain;
import io.sluice.upstream.Upstream;
import io.sluice.util.Hosts;
import io.vertx.core.MultiMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The immutable index of every route, built once per configuration and swapped whole. A lookup costs a few
 * hash probes for the host, then a walk down a segment trie as deep as the path: it does not grow with the
 * number of routes (only {@code ~regex} paths are tried one by one, and only within their host).
 *
 * <p>Hosts are tried most specific first (exact, then {@code *.suffix} from the longest suffix, then routes
 * without hosts); within one host the matching route with the highest priority wins, ties broken by kind
 * (exact, template, regex, prefix), then by the longer pattern, then by declaration order.
 */
public final class RouteTable {

  public static final RouteTable EMPTY = new RouteTable(Map.of(), Map.of(), new PathIndex(), 0, Set.of(),
      io.vavr.collection.HashMap.empty(), 0);

  /**
   * A route as built, with its parsed paths and its place in the configuration (ties): what the next build
   * reuses when nothing of it changed.
   */
  private record Built(Route route, List<PathPattern> patterns, int order) {}

  private final Map<String, PathIndex> exactHosts;
  private final Map<String, PathIndex> wildcardHosts;
  private final PathIndex anyHost;
  private final int size;
  /** The services the routes send to (by identity: a changed service is a new object). */
  private final Set<Upstream> upstreams;
  /**
   * Every route in the table by name (for the next build): a persistent map, so that a patch of one route makes
   * the next table's in O(log n) rather than copying every entry.
   */
  private final io.vavr.collection.HashMap<String, Built> byName;
  /** The place a route added by a patch takes: after every route of the table. */
  private final int nextOrder;

  private RouteTable(Map<String, PathIndex> exactHosts, Map<String, PathIndex> wildcardHosts, PathIndex anyHost,
                     int size, Set<Upstream> upstreams, io.vavr.collection.HashMap<String, Built> byName,
                     int nextOrder) {
    this.upstreams = upstreams;
    this.byName = byName;
    this.nextOrder = nextOrder;
    this.exactHosts = exactHosts;
    this.wildcardHosts = wildcardHosts;
    this.anyHost = anyHost;
    this.size = size;
  }

  /**
   * Builds the table; {@code upstreams} maps each service name routes refer to; route meters are bound in
   * {@code registry} (the node's).
   */
  public static RouteTable build(List<RouteDef> routes, Map<String, Upstream> upstreams, MeterRegistry registry) {
    return build(routes, upstreams, registry, def -> null);
  }

  /**
   * Builds the table with each route's policy chain bound once ({@code chains} answers null for none); the
   * first route that cannot be built throws.
   */
  public static RouteTable build(List<RouteDef> routes, Map<String, Upstream> upstreams, MeterRegistry registry,
                                 Function<RouteDef, PolicyChain> chains) {
    return build(routes, upstreams, registry, chains, (def, reason) -> {
      throw new IllegalArgumentException("route " + def.name() + ": " + reason);
    });
  }

  /**
   * Builds the table route by route: a route that cannot be built (its service missing, a path or a chain
   * that does not build) is handed to {@code refused} with the reason and left out; every other route is in.
   */
  public static RouteTable build(List<RouteDef> routes, Map<String, Upstream> upstreams, MeterRegistry registry,
                                 Function<RouteDef, PolicyChain> chains, BiConsumer<RouteDef, String> refused) {
    return build(routes, upstreams, registry, chains, refused, EMPTY);
  }

  /**
   * As {@link #build(List, Map, MeterRegistry, Function, BiConsumer)}, reusing every route of {@code previous}
   * whose definition, service (the same runtime form) and policy chain are unchanged: its parsed paths, its
   * meters and its chain are not made again, so a build costs the routes that changed plus the index's hash
   * inserts. The result matches exactly as a build without {@code previous} (RouteBuildEquivalenceTest).
   */
  public static RouteTable build(List<RouteDef> routes, Map<String, Upstream> upstreams, MeterRegistry registry,
                                 Function<RouteDef, PolicyChain> chains, BiConsumer<RouteDef, String> refused,
                                 RouteTable previous) {
    Map<String, PathIndex> exact = new HashMap<>();
    Map<String, PathIndex> wildcard = new HashMap<>();
    PathIndex any = new PathIndex();
    Map<String, Built> built = new HashMap<>(routes.size() * 4 / 3 + 1);
    int order = 0;
    for (RouteDef def : routes) {
      Upstream upstream = upstreams.get(def.service());
      if (upstream == null) {
        refused.accept(def, "no service " + def.service());
        continue;
      }
      Built old = previous.byName.getOrElse(def.name(), null);
      Built b;
      try {
        List<PathPattern> patterns = old != null && (old.route().def() == def || old.route().def().equals(def)) ? old.patterns()
            : def.paths().stream().map(PathPattern::parse).toList();
        PolicyChain chain = chains.apply(def);
        b = old == null || !old.route().sameAs(def, upstream, chain)
            ? new Built(new Route(def, upstream, registry, chain), patterns, order)
            : old.order() == order ? old : new Built(old.route(), old.patterns(), order);
      } catch (RuntimeException e) {
        refused.accept(def, String.valueOf(e.getMessage()));
        continue;
      }
      built.put(def.name(), b);
      Indexes.of(exact, wildcard, any, null).add(b);
      order++;
    }
    Set<Upstream> served = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    served.addAll(upstreams.values());
    return new RouteTable(Map.copyOf(exact), Map.copyOf(wildcard), any, order, served,
        io.vavr.collection.HashMap.ofAll(built), order);
  }

  /**
   * This table with the routes named in {@code removed} taken out and {@code upserted} built and put in (in
   * place of the route of the same name, keeping its place; otherwise after every route, in list order),
   * sharing everything else: the services, the unchanged routes, and every part of the index no path of
   * theirs goes through (copy on write). The caller vouches that nothing else changed since this table was
   * built (services, plugins, the other routes) and that a new route comes after every route in the
   * configuration's order; the result then matches as {@link #build} of the whole would
   * (RouteBuildEquivalenceTest). A route that does not build goes to {@code refused} and is left out.
   */
  RouteTable patch(java.util.Collection<String> removed, List<RouteDef> upserted, Map<String, Upstream> services,
                   MeterRegistry registry, Function<RouteDef, PolicyChain> chains, BiConsumer<RouteDef, String> refused) {
    io.vavr.collection.HashMap<String, Built> built = byName;
    Indexes indexes = Indexes.of(new HashMap<>(exactHosts), new HashMap<>(wildcardHosts), anyHost,
        new java.util.IdentityHashMap<>());
    int next = nextOrder;
    for (String name : removed) {
      Built old = built.getOrElse(name, null);
      if (old != null) {
        built = built.remove(name);
        indexes.remove(old);
      }
    }
    for (RouteDef def : upserted) {
      Built old = built.getOrElse(def.name(), null);
      if (old != null) {
        built = built.remove(def.name());
        indexes.remove(old);
      }
      Upstream upstream = services.get(def.service());
      if (upstream == null) {
        refused.accept(def, "no service " + def.service());
        continue;
      }
      Built b;
      try {
        List<PathPattern> patterns = old != null && old.route().def().equals(def) ? old.patterns()
            : def.paths().stream().map(PathPattern::parse).toList();
        PolicyChain chain = chains.apply(def);
        int order = old != null ? old.order() : next++;
        b = old != null && old.route().sameAs(def, upstream, chain) ? old
            : new Built(new Route(def, upstream, registry, chain), patterns, order);
      } catch (RuntimeException e) {
        refused.accept(def, String.valueOf(e.getMessage()));
        continue;
      }
      built = built.put(def.name(), b);
      indexes.add(b);
    }
    PathIndex any = indexes.seal();
    return new RouteTable(Map.copyOf(indexes.exact), Map.copyOf(indexes.wildcard), any, built.size(), upstreams,
        built, next);
  }

  /**
   * The indexes of a table being made: by exact host, by wildcard suffix, and for routes without hosts. While
   * patching ({@code copies} not null), an index is copied the first time it changes, and the index of a
   * host that no longer has routes goes.
   */
  private record Indexes(Map<String, PathIndex> exact, Map<String, PathIndex> wildcard, PathIndex[] any,
                         Map<PathIndex, PathIndex> copies) {

    static Indexes of(Map<String, PathIndex> exact, Map<String, PathIndex> wildcard, PathIndex any,
                      Map<PathIndex, PathIndex> copies) {
      return new Indexes(exact, wildcard, new PathIndex[] {any}, copies);
    }

    void add(Built b) {
      for (PathIndex index : of(b, true)) {
        for (PathPattern p : b.patterns()) {
          index.add(b.route(), p, b.order());
        }
      }
    }

    void remove(Built b) {
      for (PathIndex index : of(b, false)) {
        for (PathPattern p : b.patterns()) {
          index.remove(b.route(), p);
        }
      }
    }

    /** The indexes {@code b}'s hosts put it in, writable; {@code make}: those missing are made. */
    private List<PathIndex> of(Built b, boolean make) {
      List<PathIndex> out = new java.util.ArrayList<>(1);
      if (b.route().def().hosts().isEmpty()) {
        any[0] = writable(any[0]);
        out.add(any[0]);
      }
      for (String host : b.route().def().hosts()) {
        String h = host.toLowerCase(Locale.ROOT);
        boolean wild = h.startsWith("*.");
        Map<String, PathIndex> map = wild ? wildcard : exact;
        String key = wild ? h.substring(2) : h;
        PathIndex index = map.get(key);
        if (index == null && !make) {
          continue;
        }
        index = index == null ? fresh(new PathIndex()) : writable(index);
        map.put(key, index);
        out.add(index);
      }
      return out;
    }

    private PathIndex writable(PathIndex index) {
      if (copies == null || copies.containsValue(index)) {
        return index;
      }
      return copies.computeIfAbsent(index, PathIndex::copy);
    }

    private PathIndex fresh(PathIndex made) {
      if (copies != null) {
        copies.put(made, made);
      }
      return made;
    }

    /** Ends a patch: every index changed is sealed, hosts left without routes go; answers the host-less index. */
    PathIndex seal() {
      if (copies != null) {
        copies.values().forEach(PathIndex::seal);
        exact.values().removeIf(PathIndex::isEmpty);
        wildcard.values().removeIf(PathIndex::isEmpty);
      }
      return any[0];
    }
  }

  /** The route named {@code name} in this table, or null. */
  public Route route(String name) {
    Built b = byName.getOrElse(name, null);
    return b == null ? null : b.route();
  }

  public int size() {
    return size;
  }

  /** Every route of this table, in no order. */
  public Iterable<Route> routes() {
    return () -> byName.values().map(Built::route).iterator();
  }

  /** Every service's runtime form in this table (what the health checks and discovery follow). */
  public Set<Upstream> upstreams() {
    return java.util.Collections.unmodifiableSet(upstreams);
  }

  /** Whether this table's routes send to {@code upstream} (this very runtime form of the service). */
  public boolean serves(Upstream upstream) {
    return upstreams.contains(upstream);
  }

  /**
   * The route for a request, or null.
   *
   * @param host the name part of Host or {@code :authority} (port removed) as the client sent it, or null: matched
   *     in its {@link Hosts#canonical} form, so {@code B.Test.} finds the routes of {@code b.test}
   * @param path a normalized path (see {@link Paths#normalize})
   */
  public RouteMatch match(String method, String host, String path, MultiMap headers) {
    if (host != null && !(exactHosts.isEmpty() && wildcardHosts.isEmpty())) {
      String h = Hosts.canonical(host);
      PathIndex index = exactHosts.get(h);
      if (index != null) {
        RouteMatch m = index.match(method, path, headers);
        if (m != null) {
          return m;
        }
      }
      if (!wildcardHosts.isEmpty()) {
        for (int dot = h.indexOf('.'); dot >= 0; dot = h.indexOf('.', dot + 1)) {
          index = wildcardHosts.get(h.substring(dot + 1));
          if (index != null) {
            RouteMatch m = index.match(method, path, headers);
            if (m != null) {
              return m;
            }
          }
        }
      }
    }
    return anyHost.match(method, path, headers);
  }
}
