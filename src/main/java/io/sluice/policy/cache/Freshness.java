package io.sluice.policy.cache;

import io.netty.handler.codec.DateFormatter;
import io.vertx.core.MultiMap;
import java.util.Date;
import java.util.List;
import java.util.Locale;

/**
 * How long an answer may still be served, from its head (RFC 9111 section 4.2): its {@code s-maxage}, else its
 * {@code max-age}, else its {@code Expires} less its {@code Date}, less the {@code Age} it came with (an answer
 * already 100 s old with max-age=60 is stale).
 */
final class Freshness {

  private Freshness() {}

  /**
   * The seconds the answer stays fresh: -1 when its head says nothing (the plugin's ttl_s applies), 0 when it is
   * stale already (not stored). {@code cacheControl}: every line of it, joined; null when absent.
   */
  static long remaining(String cacheControl, MultiMap headers) {
    long lifetime = -1;
    if (cacheControl != null) {
      lifetime = seconds(cacheControl, "s-maxage");
      if (lifetime < 0) {
        lifetime = seconds(cacheControl, "max-age");
      }
    }
    if (lifetime < 0) {
      lifetime = expires(headers);
    }
    if (lifetime <= 0) {
      return lifetime;
    }
    String age = headers.get("Age"); // a single value (RFC 9111 section 5.1): the first line, as the hit reads it
    return Math.max(0, lifetime - (age == null ? 0 : SharedCache.age(age)));
  }

  /**
   * The lifetime {@code Expires} gives (RFC 9111 section 4.2.1: Expires less Date, or less now without a Date): -1
   * without Expires, 0 when it is past, not a date ({@code Expires: 0}) or given twice (section 5.3: stale).
   */
  private static long expires(MultiMap headers) {
    List<String> expires = headers.getAll("Expires");
    if (expires.isEmpty()) {
      return -1;
    }
    Date at = expires.size() == 1 ? DateFormatter.parseHttpDate(expires.get(0).trim()) : null;
    if (at == null) {
      return 0;
    }
    String dateHeader = headers.get("Date");
    Date date = dateHeader == null ? null : DateFormatter.parseHttpDate(dateHeader.trim());
    long from = date == null ? System.currentTimeMillis() : date.getTime();
    return Math.max(0, (at.getTime() - from) / 1000);
  }

  /**
   * The seconds of a directive like max-age=60; -1 when absent. A value that is not a non-negative decimal number
   * ({@code max-age=-1}, {@code max-age=abc}) is 0: RFC 9111 section 4.2.1 has such an answer count as stale, so it is
   * not stored (it was, for the plugin's ttl_s). So is a directive given twice with different values (two field
   * lines {@code max-age=60} and {@code max-age=0}): section 4.2.1 allows the first or stale, and stale is safe.
   */
  static long seconds(String cacheControl, String directive) {
    long found = -1;
    for (String part : cacheControl.split(",")) {
      String p = part.trim().toLowerCase(Locale.ROOT);
      if (p.startsWith(directive + "=")) {
        String value = p.substring(directive.length() + 1).replace("\"", "");
        if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          return 0;
        }
        long seconds;
        try {
          seconds = Long.parseLong(value);
        } catch (NumberFormatException tooLarge) {
          seconds = Long.MAX_VALUE; // past any time: as if absent, the plugin's ttl_s (below)
        }
        if (found >= 0 && found != seconds) {
          return 0;
        }
        found = seconds;
      }
    }
    return found == Long.MAX_VALUE ? -1 : found;
  }
}
