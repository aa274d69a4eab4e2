package io.sluice.proxy;

import io.netty.handler.codec.DateFormatter;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.Date;

/**
 * {@code Date} (RFC 9110 section 6.6.1) on what the gateway answers in its own name (its errors, a policy's answer
 * such as a cache hit, whose stored Date is not kept) and on a target's answer that came without one: an origin with
 * a clock must send it, and a recipient that forwards an answer without it must add it. Vert.x adds none. The
 * IMF-fixdate is formatted once a second.
 */
final class DateHeader {

  private record Stamp(long second, String text) {}

  private static volatile Stamp last = new Stamp(-1, "");

  private DateHeader() {}

  /** Now as an IMF-fixdate ({@code Mon, 07 Dec 2026 18:12:20 GMT}). */
  static String now() {
    long ms = System.currentTimeMillis();
    long second = ms / 1000;
    Stamp s = last;
    if (s.second != second) {
      s = new Stamp(second, DateFormatter.format(new Date(second * 1000)));
      last = s;
    }
    return s.text;
  }

  /** Sets Date to now unless the headers have one. */
  static void addIfMissing(MultiMap headers) {
    if (!headers.contains(HttpHeaders.DATE)) {
      headers.set(HttpHeaders.DATE, now());
    }
  }
}
