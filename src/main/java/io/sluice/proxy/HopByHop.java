package io.sluice.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.Locale;
import java.util.Set;

/** Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection and never cross the proxy. */
final class HopByHop {

  private static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

  private HopByHop() {}

  /** Copies {@code from} into {@code to} less hop-by-hop headers, those named by Connection, and {@code skip}. */
  static void copy(MultiMap from, MultiMap to, Set<String> skip) {
    Set<String> named = connectionTokens(from);
    from.forEach((name, value) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!ALWAYS.contains(lower) && !skip.contains(lower) && (named.isEmpty() || !named.contains(lower))) {
        to.add(name, value);
      }
    });
  }

  private static Set<String> connectionTokens(MultiMap headers) {
    String connection = headers.get(HttpHeaders.CONNECTION);
    if (connection == null || connection.isEmpty()) {
      return Set.of();
    }
    java.util.HashSet<String> tokens = new java.util.HashSet<>();
    for (String v : headers.getAll(HttpHeaders.CONNECTION)) {
      for (String t : v.split(",")) {
        tokens.add(t.trim().toLowerCase(Locale.ROOT));
      }
    }
    return tokens;
  }
}
