package io.sluice.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether a route would take requests another route serves: what keeps tenants' routes apart, since one route
 * table serves every tenant (a route written with a tenant token may not take another tenant's traffic).
 *
 * <p>It follows the route table's order (io.sluice.route.RouteTable): a request's host picks the routes of that
 * exact host first, then those of the longest wildcard suffix it falls under, then the routes without hosts; among
 * the routes of one host that match, the highest priority wins. Where the answer needs more than that (a tie of
 * priority, broken by the kind and length of the paths and the order of the configuration) or cannot be decided
 * (a regex path, a header value the other route does not name), it is yes: a false conflict is refused with a
 * clear answer, while a missed one would hand one tenant's traffic to another.
 */
public final class RouteClaims {

  private RouteClaims() {
  }

  /** The requests one route asks for, parsed once to be compared with many others. */
  public static final class Claim {
    private final List<String> hosts;
    private final List<PathPattern> paths;
    private final boolean pathsDeclared;
    private final List<String> methods;
    private final Map<String, List<String>> headers;
    private final int priority;

    private Claim(RouteDef r) {
      hosts = r.hosts() == null ? List.of() : r.hosts().stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
      pathsDeclared = r.paths() != null && !r.paths().isEmpty();
      paths = (pathsDeclared ? r.paths() : List.of("/")).stream().map(RouteClaims::pattern).toList();
      methods = r.methods() == null ? List.of() : r.methods();
      headers = r.headers();
      priority = r.priority();
    }

    /**
     * Where this route would take requests that {@code older} serves now, as the field of this route's that does it
     * ({@code paths[0]}, or {@code hosts}/{@code hosts[i]} when it declares no paths), or null when no request
     * {@code older} matches would come to this route.
     */
    public String takes(Claim older) {
      if (!methodsMeet(methods, older.methods) || !headersMeet(headers, older.headers)) {
        return null;
      }
      String host = hostTaken(older);
      if (host == null) {
        return null;
      }
      for (int i = 0; i < paths.size(); i++) {
        for (PathPattern o : older.paths) {
          if (pathsMeet(paths.get(i), o)) {
            return pathsDeclared ? "paths[" + i + "]" : host;
          }
        }
      }
      return null;
    }

    /**
     * The field of this route's hosts ({@code hosts[i]}, or {@code hosts} when it has none) through which a request
     * that both routes' hosts accept reaches this route before {@code older} or in the same tie, or null when
     * {@code older} comes first for every such request.
     */
    private String hostTaken(Claim older) {
      boolean samePriorityOrHigher = priority >= older.priority;
      if (hosts.isEmpty()) {
        // Without hosts, a route is looked at last; it comes first only against another route without hosts.
        return older.hosts.isEmpty() && samePriorityOrHigher ? "hosts" : null;
      }
      for (int i = 0; i < hosts.size(); i++) {
        if (older.hosts.isEmpty()) {
          return "hosts[" + i + "]"; // any host of this route's is looked at before the routes without hosts
        }
        for (String o : older.hosts) {
          int order = order(hosts.get(i), o);
          if (order > 0 || order == 0 && samePriorityOrHigher) {
            return "hosts[" + i + "]";
          }
        }
      }
      return null;
    }
  }

  /** {@code route}'s claim, to compare with others' ({@link Claim#takes}). */
  public static Claim of(RouteDef route) {
    return new Claim(route);
  }

  /**
   * Where {@code newer} would take requests that {@code older} serves now (see {@link Claim#takes}), or null.
   */
  public static String takes(RouteDef newer, RouteDef older) {
    return of(newer).takes(of(older));
  }

  /**
   * Whether {@code newer}, a change of the route {@code older}, serves no request that {@code older} does not, and
   * none earlier in the table: hosts among older's (none only where older has none, since a host puts a route ahead
   * of every route without one), paths among older's, methods among older's (any only where older takes any),
   * every header older asks for with values among older's, and a priority no higher. Such a change takes nothing
   * from another route that older did not take already, so the conflicts it is in were there before it.
   */
  public static boolean within(RouteDef newer, RouteDef older) {
    Set<String> oldHosts = folded(older.hosts());
    Set<String> newHosts = folded(newer.hosts());
    if (oldHosts.isEmpty() != newHosts.isEmpty() || !oldHosts.containsAll(newHosts)) {
      return false;
    }
    if (!declaredPaths(older).containsAll(declaredPaths(newer))) {
      return false;
    }
    Set<String> oldMethods = folded(older.methods());
    Set<String> newMethods = folded(newer.methods());
    if (!oldMethods.isEmpty() && (newMethods.isEmpty() || !oldMethods.containsAll(newMethods))) {
      return false;
    }
    Map<String, List<String>> newHeaders = newer.headers() == null ? Map.of() : newer.headers();
    for (Map.Entry<String, List<String>> asked : (older.headers() == null ? Map.<String, List<String>>of()
        : older.headers()).entrySet()) {
      Set<String> values = newHeaders.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(asked.getKey()))
          .findFirst().map(e -> folded(e.getValue())).orElse(null);
      if (values == null || !folded(asked.getValue()).containsAll(values)) {
        return false;
      }
    }
    return newer.priority() <= older.priority();
  }

  /** Lower-cased, for names compared without case (hosts, methods, header values). */
  private static Set<String> folded(List<String> names) {
    return names == null ? Set.of() : names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
  }

  private static Set<String> declaredPaths(RouteDef r) {
    return r.paths() == null || r.paths().isEmpty() ? Set.of("/") : Set.copyOf(r.paths());
  }

  /** A path as the route table reads it; a regex is not compiled (it is taken to meet every path). */
  private static PathPattern pattern(String spec) {
    return spec.startsWith("~") ? new PathPattern(PathPattern.Kind.REGEX, spec.substring(1), null, null)
        : PathPattern.parse(spec);
  }

  /**
   * For two host patterns that some request host matches both: which one's routes the table looks at first for
   * it (1: {@code n}'s, -1: {@code o}'s, 0: the same routes, by priority); {@link Integer#MIN_VALUE} when no host
   * matches both.
   */
  private static int order(String n, String o) {
    boolean nWild = n.startsWith("*.");
    boolean oWild = o.startsWith("*.");
    if (!nWild && !oWild) {
      return n.equals(o) ? 0 : Integer.MIN_VALUE;
    }
    if (nWild && oWild) {
      String ns = n.substring(2);
      String os = o.substring(2);
      if (ns.equals(os)) {
        return 0;
      }
      // Hosts under both: the longer suffix is looked up first.
      return ns.endsWith("." + os) ? 1 : os.endsWith("." + ns) ? -1 : Integer.MIN_VALUE;
    }
    if (nWild) {
      return o.endsWith(n.substring(1)) ? -1 : Integer.MIN_VALUE; // the exact host comes first
    }
    return n.endsWith(o.substring(1)) ? 1 : Integer.MIN_VALUE;
  }

  private static boolean methodsMeet(List<String> a, List<String> b) {
    if (a == null || a.isEmpty() || b == null || b.isEmpty()) {
      return true;
    }
    for (String m : a) {
      for (String n : b) {
        if (m.equalsIgnoreCase(n)) {
          return true;
        }
      }
    }
    return false;
  }

  /** False only when both routes ask one header for values of which none is the same. */
  private static boolean headersMeet(Map<String, List<String>> a, Map<String, List<String>> b) {
    if (a == null || b == null) {
      return true;
    }
    for (Map.Entry<String, List<String>> e : a.entrySet()) {
      for (Map.Entry<String, List<String>> f : b.entrySet()) {
        if (e.getKey().equalsIgnoreCase(f.getKey()) && e.getValue() != null && f.getValue() != null
            && !e.getValue().isEmpty() && !f.getValue().isEmpty() && e.getValue().stream().noneMatch(f.getValue()::contains)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether some path matches both patterns (a regex: taken to meet every path). */
  static boolean pathsMeet(PathPattern a, PathPattern b) {
    if (a.kind() == PathPattern.Kind.REGEX || b.kind() == PathPattern.Kind.REGEX) {
      return true;
    }
    String[] x = segments(a);
    String[] y = segments(b);
    boolean xWhole = a.kind() != PathPattern.Kind.PREFIX;  // exact and template paths match whole paths
    boolean yWhole = b.kind() != PathPattern.Kind.PREFIX;
    if (xWhole && yWhole && x.length != y.length || xWhole && !yWhole && x.length < y.length
        || !xWhole && yWhole && y.length < x.length) {
      return false;
    }
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      if (!(x[i].equals(y[i]) || isParam(x[i]) || isParam(y[i]))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isParam(String segment) {
    return segment.startsWith("{");
  }

  private static String[] segments(PathPattern p) {
    if (p.segments() != null) {
      return p.segments();
    }
    String path = p.value(); // an exact path
    return path.equals("/") ? new String[0] : path.substring(1).split("/", -1);
  }
}
