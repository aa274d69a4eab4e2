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

  /** The delta-seconds a cache uses for any larger one (RFC 9111 section 1.2.2). */
  static final long MAX_AGE = 2_147_483_648L;

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

  /**
   * Every field line of a list header as one value, joined by ", " (RFC 9110 section 5.3), or null when absent:
   * {@code Cache-Control: public} then {@code Cache-Control: private} is one {@code public, private}. Reading
   * the first line only stored an answer whose second line said private, no-store or s-maxage=0.
   */
  static String joined(MultiMap headers, String name) {
    java.util.List<String> lines = headers.getAll(name);
    return lines.isEmpty() ? null : lines.size() == 1 ? lines.get(0) : String.join(", ", lines);
  }

  /**
   * The seconds of an Age value (RFC 9111 section 5.1), 0 when it is not a number of seconds; a value past what
   * the cache can count is 2147483648 (section 1.2.2).
   */
  static long age(String value) {
    String v = value.trim();
    if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return 0;
    }
    return v.length() > 10 ? MAX_AGE : Math.min(Long.parseLong(v), MAX_AGE);
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

  /**
   * Whether a stored 200 answers a conditional request with 304 Not Modified (RFC 9111 section 4.3.2, RFC 9110
   * section 13.1): If-None-Match, when present, by weak comparison with the stored ETag (or {@code *}); otherwise
   * If-Modified-Since against the stored Last-Modified. {@code stored}: the entry's [name, value] pairs.
   */
  static boolean notModified(MultiMap request, io.vertx.core.json.JsonArray stored) {
    // Every field line of it (RFC 9110 5.3): the stored tag may be on the second.
    String inm = request.contains("If-None-Match") ? String.join(",", request.getAll("If-None-Match")) : null;
    String ims = inm == null ? request.get("If-Modified-Since") : null;
    if (inm == null && ims == null) {
      return false;
    }
    String etag = null;
    String lastModified = null;
    for (int i = 0; i < stored.size(); i++) {
      io.vertx.core.json.JsonArray h = stored.getJsonArray(i);
      if (h.getString(0).equalsIgnoreCase("ETag")) {
        etag = h.getString(1);
      } else if (h.getString(0).equalsIgnoreCase("Last-Modified")) {
        lastModified = h.getString(1);
      }
    }
    if (inm != null) {
      if (inm.trim().equals("*")) {
        return true;
      }
      if (etag == null) {
        return false;
      }
      String mine = opaque(etag);
      for (String candidate : inm.split(",")) {
        if (opaque(candidate).equals(mine)) {
          return true;
        }
      }
      return false;
    }
    if (lastModified == null) {
      return false;
    }
    // The three forms a recipient must read (RFC 9110 5.6.7: IMF-fixdate, RFC 850, asctime), as Netty parses them.
    java.util.Date since = io.netty.handler.codec.DateFormatter.parseHttpDate(ims.trim());
    java.util.Date modified = io.netty.handler.codec.DateFormatter.parseHttpDate(lastModified.trim());
    if (since == null || modified == null) {
      return false; // an invalid date is ignored (RFC 9110 section 13.1.3)
    }
    return !modified.after(since);
  }

  /** An entity tag without its weakness indicator: weak comparison (RFC 9110 section 8.8.3.2). */
  private static String opaque(String tag) {
    String t = tag.trim();
    return t.startsWith("W/") ? t.substring(2) : t;
  }
}
