package io.sluice.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;

/**
 * The Expect header (RFC 9110 section 10.1.1). Its one expectation, {@code 100-continue}, is the proxy's to
 * answer: the interim 100 goes out once the route's policies have let the request through, so a client refused
 * (401, 413, 429) never sends its body; the header is not passed on. Any other expectation is refused with 417.
 * HTTP/1.0 requests' Expect is ignored, as the RFC asks.
 */
final class Expectations {

  private static final String CONTINUE = "100-continue";

  private Expectations() {}

  /** Whether the client waits for a 100 before sending its body. */
  static boolean continues(HttpServerRequest req) {
    String v = req.getHeader(HttpHeaders.EXPECT);
    return v != null && req.version() != HttpVersion.HTTP_1_0 && v.trim().equalsIgnoreCase(CONTINUE);
  }

  /** Why the request's expectation cannot be met, or null (no Expect, or exactly 100-continue). */
  static String problem(HttpServerRequest req) {
    if (!req.headers().contains(HttpHeaders.EXPECT) || req.version() == HttpVersion.HTTP_1_0) {
      return null;
    }
    List<String> all = req.headers().getAll(HttpHeaders.EXPECT);
    if (all.size() == 1 && all.get(0).trim().equalsIgnoreCase(CONTINUE)) {
      return null;
    }
    String v = String.join(", ", all);
    return "unsupported expectation: Expect: " + (v.length() > 64 ? v.substring(0, 64) + "..." : v)
        + " (only 100-continue is supported)";
  }
}
