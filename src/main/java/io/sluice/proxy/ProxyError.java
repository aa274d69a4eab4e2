package io.sluice.proxy;

import io.sluice.util.LingeringClose;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;

/** The errors the gateway itself answers, each a status, a stable code and a JSON body with the request id. */
public enum ProxyError {
  BAD_REQUEST(400, "bad_request"),
  REQUEST_TIMEOUT(408, "request_timeout"),
  NO_ROUTE(404, "no_route"),
  BODY_TOO_LARGE(413, "body_too_large"),
  HEADERS_TOO_LARGE(431, "headers_too_large"),
  URI_TOO_LONG(414, "uri_too_long"),
  EXPECTATION_FAILED(417, "expectation_failed"),
  /** The gateway's own failure (a request it could not form): never the client's, never the target's. */
  INTERNAL_ERROR(500, "internal_error"),
  UPSTREAM_ERROR(502, "upstream_error"),
  NO_HEALTHY_TARGET(503, "no_healthy_target"),
  UPSTREAM_BUSY(503, "upstream_busy"),
  UPSTREAM_TIMEOUT(504, "upstream_timeout"),
  VERSION_NOT_SUPPORTED(505, "http_version_not_supported");

  private final int status;
  private final String code;

  ProxyError(int status, String code) {
    this.status = status;
    this.code = code;
  }

  /** The error's code in the JSON answer (no_route, headers_too_large, ...). */
  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  /**
   * Sends the error unless the response has started; {@code close} also closes the connection right after,
   * so that nothing the client pipelined behind a refused request is ever read as a request.
   */
  public void send(HttpServerRequest request, String requestId, String message, boolean close) {
    head(request, requestId);
    sendHeaded(request, status, code, requestId, message, close, this == BODY_TOO_LARGE);
  }

  /** The same after {@link #head} and the response phase. */
  void sendHeaded(HttpServerRequest request, String requestId, String message, boolean close) {
    sendHeaded(request, status, code, requestId, message, close, this == BODY_TOO_LARGE);
  }

  /** Sends an error of any status and code in the same shape (policies' refusals use it). */
  public static void send(HttpServerRequest request, int status, String code, String requestId, String message,
                          boolean close) {
    head(request, requestId);
    sendHeaded(request, status, code, requestId, message, close);
  }

  /**
   * The head of an error answer (its content type and request id), set before the route's response phase runs on
   * it so that response-transformer may edit or remove them; {@link #sendHeaded} then leaves them as they are.
   * A gRPC call's error is trailers only, with heads of its own ({@link Grpc#sendError}).
   */
  static void head(HttpServerRequest request, String requestId) {
    HttpServerResponse response = request.response();
    if (!response.headWritten() && !Grpc.is(request)) {
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader("X-Request-Id", requestId == null ? "" : requestId);
    }
  }

  /** Sends an error whose head {@link #head} set (and the response phase may have edited since). */
  static void sendHeaded(HttpServerRequest request, int status, String code, String requestId, String message,
                         boolean close) {
    sendHeaded(request, status, code, requestId, message, close, false);
  }

  /**
   * The same; {@code linger}: the request's body is sound but unread (a refusal, a 413), so the client may still
   * be sending it: the connection is closed lingering ({@link LingeringClose}) so the answer is not lost to a reset.
   */
  static void sendHeaded(HttpServerRequest request, int status, String code, String requestId, String message,
                         boolean close, boolean linger) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    DateHeader.addIfMissing(response.headers());
    if (Grpc.is(request)) {
      Grpc.sendError(request, status, requestId, message);
      return;
    }
    String body = new JsonObject().put("error", new JsonObject()
        .put("status", status).put("code", code).put("message", message).put("request_id", requestId))
        .encode();
    response.setStatusCode(status);
    if (close && request.version() == HttpVersion.HTTP_2) {
      // HTTP/2 has no Connection header, and the connection carries other streams: only this one ends, and a
      // body still coming is cut off with RST_STREAM(NO_ERROR) once the answer is out (RFC 9113 8.1).
      response.end(body).onComplete(ar -> {
        if (!request.isEnded()) {
          response.reset(0);
        }
      });
      return;
    }
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
      StrictRequestDecoder.refuseRest(request.connection()); // what follows the refused request is never decoded
    }
    Future<Void> written = response.end(body);
    if (close && linger) {
      LingeringClose.after(written, request.connection()); // the answer must reach a client still sending
    } else if (close) {
      request.connection().close();
    }
  }
}
