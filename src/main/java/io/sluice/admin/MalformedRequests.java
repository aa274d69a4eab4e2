package io.sluice.admin;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.sluice.util.InvalidRequestAnswer;
import io.sluice.util.MalformedBodies;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * What the HTTP layer refuses before the admin API sees a request, answered in the admin API's JSON error shape
 * instead of Vert.x's bare {@code 400} and without an ERROR line (a client must not be able to write those): a head
 * Netty cannot read (a control byte in a header, both Content-Length and Transfer-Encoding), and a body it cannot
 * (a chunk size that is not hexadecimal).
 */
final class MalformedRequests {

  private MalformedRequests() {}

  /** The server's {@code invalidRequestHandler}: the head did not decode; the connection is closed after the answer. */
  static void head(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
        : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String code = status == 414 ? "uri_too_long" : status == 431 ? "headers_too_large" : "invalid";
    // Netty says "HTTP header is larger than 8192 bytes" of a header section whose headers are each small: the limit
    // is on all of them together, and a request too large is not invalid HTTP.
    String message = status == 431 ? "the request's header section is too large"
        : status == 414 ? "the request line is too long" : "the request is not valid HTTP/1.1";
    String reason = status == 431 ? headerSectionReason(cause) : reason(cause);
    InvalidRequestAnswer.inHttp11(request); // not the HTTP/1.0 Netty stands an unreadable request in as
    request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(body(status, code, message, reason));
  }

  /**
   * A router failure whose status is no error status: Vert.x Web's BodyHandler reports a body the connection could
   * not read with 200 and the decoder's cause (a DecoderException alone becomes 400), which no error handler takes,
   * so the router would log it as an ERROR. Answered 400 while the connection can still carry an answer.
   */
  static boolean unreadableBody(RoutingContext rc) {
    if (rc.statusCode() <= 0 || rc.statusCode() >= 400) {
      return false;
    }
    if (!rc.response().headWritten() && !rc.response().closed()) {
      rc.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CONNECTION, "close")
          .end(body(400, "invalid", "the request body is not valid HTTP/1.1", reason(rc.failure())));
    }
    return true;
  }

  /**
   * The server's {@code connectionHandler}: a request in another version than HTTP/1.0 and 1.1 is made an invalid
   * request, answered by {@link #head}; a body Netty cannot decode is answered by {@link MalformedBodies}.
   */
  static void guard(HttpConnection connection) {
    InvalidRequestAnswer.refuseOtherVersions(connection);
    MalformedBodies.guard(connection);
  }

  /** "the header lines together are larger than N bytes", N read from Netty's "HTTP header is larger than N bytes". */
  static String headerSectionReason(Throwable cause) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) bytes")
        .matcher(String.valueOf(cause == null ? null : cause.getMessage()));
    return "the header lines together are larger than " + (m.find() ? m.group(1) + " bytes" : "the listener allows");
  }

  private static String reason(Throwable cause) {
    return MalformedBodies.reason(cause);
  }

  private static String body(int status, String code, String message, String reason) {
    return MalformedBodies.body(status, code, message, reason);
  }
}
