package io.sluice.policy.cache;

import io.vertx.core.MultiMap;
import java.util.Locale;
import java.util.Set;

/**
 * What RFC 9111 lets a shared cache store, beyond the plugin's own settings: an answer whose {@code Vary}
 * the key does not cover would be served to requests it was not made for (section 4.1), and an answer to a
 * request with credentials would be served to clients without them (section 3.5).
 */
final class SharedCache {

  private SharedCache() {}

  /**
   * Whether every request header the answer's Vary names is part of the key (in {@code keyed}, lower
   * case); {@code Vary: *} never is. The key is made before the answer is known, so it cannot take in a
   * header only the answer names.
   */
  static boolean varyCovered(MultiMap answer, Set<String> keyed) {
    for (String vary : answer.getAll("Vary")) {
      for (String part : vary.split(",")) {
        String name = part.trim().toLowerCase(Locale.ROOT);
        if (name.equals("*") || !(name.isEmpty() || keyed.contains(name))) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Whether a request sent credentials the gateway did not authenticate: {@code Authorization} (RFC 9111
   * 3.5) or {@code Cookie} (treated alike: the upstream may answer per client from either).
   */
  static boolean foreignCredentials(MultiMap request) {
    return request.contains("Authorization") || request.contains("Cookie");
  }

  /** Whether the answer says a shared cache may reuse it for others despite the request's credentials. */
  static boolean sharable(String cacheControl) {
    return cacheControl != null && (has(cacheControl, "public") || has(cacheControl, "s-maxage")
        || has(cacheControl, "must-revalidate"));
  }

  /** Whether a Cache-Control value has the directive, bare or with a value ({@code max-age=60}). */
  static boolean has(String cacheControl, String directive) {
    for (String part : cacheControl.split(",")) {
      String p = part.trim().toLowerCase(Locale.ROOT);
      if (p.equals(directive) || p.startsWith(directive + "=")) {
        return true;
      }
    }
    return false;
  }
}
