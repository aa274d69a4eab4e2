package io.sluice.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.List;

/**
 * Refuses request framing that two parsers could read differently (request smuggling): a body length given
 * twice, or a Transfer-Encoding other than exactly {@code chunked}. Such a request never reaches a target.
 */
final class RequestGuard {

  private RequestGuard() {}

  /** Why the request's framing is refused, or null when it is unambiguous. */
  static String problem(MultiMap headers) {
    boolean hasTe = headers.contains(HttpHeaders.TRANSFER_ENCODING);
    boolean hasCl = headers.contains(HttpHeaders.CONTENT_LENGTH);
    if (!hasTe && !hasCl) {
      return null; // most requests: nothing to check, and no lists to build
    }
    List<String> te = hasTe ? headers.getAll(HttpHeaders.TRANSFER_ENCODING) : List.of();
    List<String> cl = hasCl ? headers.getAll(HttpHeaders.CONTENT_LENGTH) : List.of();
    if (!te.isEmpty() && !cl.isEmpty()) {
      return "both Content-Length and Transfer-Encoding";
    }
    if (te.size() > 1 || (te.size() == 1 && !te.get(0).equalsIgnoreCase("chunked"))) {
      return "Transfer-Encoding must be exactly 'chunked'";
    }
    if (cl.size() > 1) {
      return "more than one Content-Length";
    }
    if (cl.size() == 1) {
      String v = cl.get(0);
      if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return "Content-Length is not a decimal number";
      }
    }
    return null;
  }
}
