package io.sluice.proxy;

import io.vertx.core.http.HttpServerRequest;
import java.util.Map;

/**
 * The limits HTTP/1.1's decoder applies before a request exists, applied to an HTTP/2 request: its request line
 * ({@code proxy.max_initial_line_bytes}, as the line it becomes towards an HTTP/1.1 target), its header list
 * ({@code proxy.max_header_bytes}, counted as HTTP/2 counts it: name, value and 32 bytes per field, RFC 9113 6.5.2)
 * and its number of fields ({@code proxy.max_headers}). Checked here rather than by Netty's decoder, which answers a
 * bare 431 of its own: refused through the proxy's error path, a gRPC client gets a gRPC status, and the request
 * never reaches a target (an over-long path sent on would be refused by the target and counted against it).
 * {@link H2HeaderBound} leaves Netty only the bound past which the connection ends.
 */
final class H2Limits {

  /** Per field in an HTTP/2 header list: RFC 9113 6.5.2 (SETTINGS_MAX_HEADER_LIST_SIZE). */
  private static final int FIELD_OVERHEAD = 32;
  /** " HTTP/1.1" of the request line the request becomes towards an HTTP/1.1 target. */
  private static final int VERSION_PART = 9;

  private H2Limits() {}

  /** Why the request is refused as 414, or null. */
  static String lineTooLong(HttpServerRequest req, int maxLineBytes) {
    int line = req.method().name().length() + 1 + req.uri().length() + VERSION_PART;
    return line > maxLineBytes ? "request line of " + line + " bytes exceeds " + maxLineBytes : null;
  }

  /** Why the request is refused as 431, or null. */
  static String headersTooLarge(HttpServerRequest req, int maxHeaderBytes, int maxHeaders) {
    long bytes = 0;
    int fields = 0;
    boolean pseudo = false;
    for (Map.Entry<String, String> h : req.headers()) {
      bytes += h.getKey().length() + h.getValue().length() + FIELD_OVERHEAD;
      fields++;
      pseudo |= h.getKey().startsWith(":");
    }
    if (!pseudo) { // the map holds the regular fields only: the pseudo-headers count too
      bytes += ":method".length() + req.method().name().length() + ":path".length() + req.uri().length()
          + ":scheme".length() + String.valueOf(req.scheme()).length() + 3 * FIELD_OVERHEAD;
      if (req.authority() != null) {
        bytes += ":authority".length() + req.authority().toString().length() + FIELD_OVERHEAD;
      }
    }
    if (bytes > maxHeaderBytes) {
      return "header list of " + bytes + " bytes exceeds " + maxHeaderBytes;
    }
    return fields > maxHeaders ? "more than " + maxHeaders + " header fields" : null;
  }
}
