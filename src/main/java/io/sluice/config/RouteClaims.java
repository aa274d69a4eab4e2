package io.sluice.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;

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

  /**
   * Where {@code newer} would take requests that {@code older} serves now, as the field of {@code newer} that does
   * it ({@code paths[0]}, or {@code hosts[1]} when only a host makes the difference), or null when no request
   * {@code older} matches would go to {@code newer}.
   */
  public static String takes(RouteDef newer, RouteDef older) {
    if (!methodsMeet(newer.methods(), older.methods()) || !headersMeet(newer.headers(), older.headers())) {
      return null;
    }
    String host = hostTaken(newer, older);
    if (host == null) {
      return null;
    }
    List<String> newPaths = paths(newer);
    List<String> oldPaths = paths(older);
    for (int i = 0; i < newPaths.size(); i++) {
      PathPattern n = PathPattern.parse(newPaths.get(i));
      for (String o : oldPaths) {
        if (pathsMeet(n, PathPattern.parse(o))) {
          return newer.paths() == null || newer.paths().isEmpty() ? host : "paths[" + i + "]";
        }
      }
    }
    return null;
  }

  private static List<String> paths(RouteDef r) {
    return r.paths() == null || r.paths().isEmpty() ? List.of("/") : r.paths();
  }

  /**
   * The field of {@code newer}'s hosts ({@code hosts[i]}, or {@code hosts} when it has none) through which a request
   * that both routes' hosts accept reaches {@code newer} before {@code older} or in the same tie, or null when
   * {@code older} comes first for every such request.
   */
  private static String hostTaken(RouteDef newer, RouteDef older) {
    List<String> newHosts = newer.hosts() == null ? List.of() : newer.hosts();
    List<String> oldHosts = older.hosts() == null ? List.of() : older.hosts();
    boolean samePriorityOrHigher = newer.priority() >= older.priority();
    if (newHosts.isEmpty()) {
      // Without hosts, the newer route is looked at last; it comes first only against another route without hosts.
      return oldHosts.isEmpty() && samePriorityOrHigher ? "hosts" : null;
    }
    for (int i = 0; i < newHosts.size(); i++) {
      String n = newHosts.get(i).toLowerCase(Locale.ROOT);
      if (oldHosts.isEmpty()) {
        return "hosts[" + i + "]"; // any host of the newer route's is looked at before the routes without hosts
      }
      for (String host : oldHosts) {
        String o = host.toLowerCase(Locale.ROOT);
        int order = order(n, o);
        if (order > 0 || order == 0 && samePriorityOrHigher) {
          return "hosts[" + i + "]";
        }
      }
    }
    return null;
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
