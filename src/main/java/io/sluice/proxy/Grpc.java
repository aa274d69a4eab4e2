package io.sluice.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * gRPC seen from the gateway: a request is gRPC by its content type; the gateway's own errors are answered to it
 * as gRPC errors (HTTP 200, trailers-only, {@code grpc-status} and {@code grpc-message}) with the code that says
 * what happened; {@code grpc-timeout} is read as the call's deadline, and one that does not parse is refused.
 */
final class Grpc {

  static final int DEADLINE_EXCEEDED = 4;
  static final int INTERNAL = 13;
  static final CharSequence TIMEOUT = HttpHeaders.createOptimized("grpc-timeout");
  /** Why a malformed grpc-timeout is refused (grpc-go's server words it "malformed grpc-timeout" too). */
  static final String MALFORMED_TIMEOUT = "malformed grpc-timeout: must be 1 to 8 ASCII digits followed by one unit"
      + " of H, M, S, m, u or n, given once";

  private Grpc() {}

  /** Whether the client speaks gRPC ({@code application/grpc}, {@code application/grpc+proto}, ...). */
  static boolean is(HttpServerRequest req) {
    String type = req.getHeader("content-type");
    return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)
        && (type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';');
  }

  /** The gRPC code of a gateway error of HTTP status {@code status}. */
  static int code(int status) {
    return switch (status) {
      case 400, 414, 417, 431 -> 3;   // INVALID_ARGUMENT
      case 401 -> 16;            // UNAUTHENTICATED
      case 403 -> 7;             // PERMISSION_DENIED
      case 404 -> 12;            // UNIMPLEMENTED: no route for the method
      case 408, 504 -> DEADLINE_EXCEEDED;
      case 413, 429 -> 8;        // RESOURCE_EXHAUSTED
      case 502, 503 -> 14;       // UNAVAILABLE: no healthy target, target unreachable or busy
      default -> status >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
    };
  }

  /** Answers a gateway error as a trailers-only gRPC response (nothing if the answer already started). */
  static void sendError(HttpServerRequest req, int status, String requestId, String message) {
    sendStatus(req, code(status), requestId, message);
  }

  /** The same with the gRPC status itself, where the HTTP status would map to another one. */
  static void sendStatus(HttpServerRequest req, int grpcStatus, String requestId, String message) {
    HttpServerResponse resp = req.response();
    if (resp.headWritten() || resp.ended() || resp.closed()) {
      return;
    }
    DateHeader.addIfMissing(resp.headers());
    resp.setStatusCode(200)
        .putHeader("content-type", "application/grpc")
        .putHeader("grpc-status", Integer.toString(grpcStatus))
        .putHeader("grpc-message", percentEncode(message))
        .putHeader(HeaderNames.X_REQUEST_ID, requestId == null ? "" : requestId);
    resp.end().onComplete(ar -> {
      if (!req.isEnded()) {
        resp.reset(0); // the rest of a request body nobody will read (RST_STREAM NO_ERROR)
      }
    });
  }

  /**
   * Whether the request is a gRPC call whose grpc-timeout neither the gateway nor the target could read alike: not
   * 1 to 8 ASCII digits and a unit (PROTOCOL-HTTP2.md), or given twice. One lookup when there is none (most calls).
   * Asked of HTTP/2 requests only: gRPC never comes over HTTP/1.x (see {@link #call}).
   */
  static boolean malformedTimeout(HttpServerRequest req) {
    String t = req.getHeader(TIMEOUT);
    if (t == null || !is(req)) {
      return false;
    }
    return timeoutMs(t) < 0 || req.headers().getAll(TIMEOUT).size() > 1;
  }

  /** Whether the request is a gRPC call: HTTP/2 (checked first, so HTTP/1.x pays no header lookup) and gRPC's type. */
  static boolean call(HttpServerRequest req) {
    return req.version() == HttpVersion.HTTP_2 && is(req);
  }

  /** The deadline of the call's {@code grpc-timeout} in milliseconds (at least 1), or -1 when absent or malformed. */
  static long timeoutMs(HttpServerRequest req) {
    String t = req.getHeader(TIMEOUT);
    return t == null ? -1 : timeoutMs(t);
  }

  /** {@code grpc-timeout} in milliseconds (at least 1), or -1 unless 1 to 8 ASCII digits then H, M, S, m, u or n. */
  static long timeoutMs(String t) {
    int digits = t.length() - 1;
    if (digits < 1 || digits > 8) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < digits; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') {
        return -1; // a sign, a space or a dot too, which Long.parseLong or a lenient target might take
      }
      value = value * 10 + (c - '0');
    }
    double ms = switch (t.charAt(digits)) {
      case 'H' -> value * 3_600_000d;
      case 'M' -> value * 60_000d;
      case 'S' -> value * 1_000d;
      case 'm' -> value;
      case 'u' -> value / 1_000d;
      case 'n' -> value / 1_000_000d;
      default -> -1;
    };
    return ms < 0 ? -1 : Math.max(1, (long) Math.ceil(ms));
  }

  /** grpc-message is percent-encoded UTF-8: printable ASCII but '%' as is, every other byte as %XX. */
  static String percentEncode(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(bytes.length);
    for (byte x : bytes) {
      int c = x & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }
}
