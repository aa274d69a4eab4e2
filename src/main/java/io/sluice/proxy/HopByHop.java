package io.sluice.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.Set;

/**
 * Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection and never cross the proxy. Runs for
 * every header of every request and response, so names are compared in place instead of lower-cased.
 */
final class HopByHop {

  private HopByHop() {}

  /**
   * Copies {@code from} into {@code to} less hop-by-hop headers, those named by Connection, and those in
   * {@code skip} (lower-case names).
   */
  static void copy(MultiMap from, MultiMap to, Set<String> skip) {
    String connection = from.get(HttpHeaders.CONNECTION);
    String[] named = connection == null ? null : tokens(from);
    from.forEach((name, value) -> {
      if (!isHopByHop(name) && !contains(skip, name) && (named == null || !listed(named, name))) {
        to.add(name, value);
      }
    });
  }

  static boolean isHopByHop(String name) {
    return switch (name.length()) {
      case 2 -> name.equalsIgnoreCase("te");
      case 7 -> name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
      case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
      case 16 -> name.equalsIgnoreCase("proxy-connection");
      case 17 -> name.equalsIgnoreCase("transfer-encoding");
      case 18 -> name.equalsIgnoreCase("proxy-authenticate");
      case 19 -> name.equalsIgnoreCase("proxy-authorization");
      default -> false;
    };
  }

  private static boolean contains(Set<String> lowerNames, String name) {
    for (String s : lowerNames) {
      if (s.length() == name.length() && s.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean listed(String[] named, String name) {
    for (String n : named) {
      if (n.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  private static String[] tokens(MultiMap headers) {
    StringBuilder all = new StringBuilder();
    for (String v : headers.getAll(HttpHeaders.CONNECTION)) {
      all.append(v).append(',');
    }
    String[] parts = all.toString().split(",");
    for (int i = 0; i < parts.length; i++) {
      parts[i] = parts[i].trim();
    }
    return parts;
  }
}
