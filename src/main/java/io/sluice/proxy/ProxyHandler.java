package io.sluice.proxy;

import io.sluice.route.Paths;
import io.sluice.route.RouteMatch;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The request pipeline of the proxy listener, one readable method: identify, check framing, match a route,
 * check limits, then hand over to an {@link Exchange} (policies, then an upstream attempt or a WebSocket
 * bridge).
 */
final class ProxyHandler implements Handler<HttpServerRequest> {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final ProxyContext ctx;
  /** Whether this is the TLS listener's handler: known here, so no request asks its connection's pipeline. */
  private final boolean tls;

  ProxyHandler(ProxyContext ctx, boolean tls) {
    this.ctx = ctx;
    this.tls = tls;
  }

  @Override
  public void handle(HttpServerRequest req) {
    if (StrictRequestDecoder.refusedOn(req.connection())) {
      return; // pipelined behind a refused request on a connection that is closing: never handled
    }
    long start = System.nanoTime();

    // 1. Request id: passed through when the client sent one, generated otherwise.
    String requestId = req.getHeader(HeaderNames.X_REQUEST_ID);
    if (requestId == null || requestId.isEmpty() || requestId.length() > 200) {
      requestId = newRequestId();
    }

    // 2. Framing: anything two parsers could read differently is refused before it goes anywhere.
    String framing = RequestGuard.problem(req.headers());
    if (framing == null) {
      framing = RequestGuard.hostProblem(req);
    }
    if (framing == null) {
      framing = RequestGuard.targetProblem(req.uri());
    }
    if (framing != null) {
      ctx.unrouted().refuse(req, start, requestId, null, ProxyError.BAD_REQUEST, framing, true);
      return;
    }
    String expectation = Expectations.problem(req);
    if (expectation != null) {
      ctx.unrouted().refuse(req, start, requestId, null, ProxyError.EXPECTATION_FAILED, expectation, true);
      return;
    }
    if (req.version() == HttpVersion.HTTP_2) {
      // What HTTP/1.1's decoder refuses before a request exists (see H2Limits).
      String limit = H2Limits.lineTooLong(req, ctx.maxInitialLineBytes());
      ProxyError error = ProxyError.URI_TOO_LONG;
      if (limit == null) {
        limit = H2Limits.headersTooLarge(req, ctx.maxHeaderBytes(), ctx.maxHeaders());
        error = ProxyError.HEADERS_TOO_LARGE;
      }
      if (limit != null) {
        ctx.unrouted().refuse(req, start, requestId, null, error, limit, true);
        return;
      }
      // gRPC is HTTP/2 only: an HTTP/1.x request pays no lookup for it. The call's deadline, here and at the
      // target: refused as grpc-go's server refuses it (INTERNAL), not sent on.
      if (Grpc.malformedTimeout(req)) {
        ctx.unrouted().refuseGrpc(req, start, requestId, ProxyError.BAD_REQUEST, Grpc.INTERNAL,
            Grpc.MALFORMED_TIMEOUT);
        return;
      }
    }

    // 3. Route: on the canonical path (also what the target gets), in the table as it is now; this request
    //    finishes on it even if it is swapped meanwhile.
    String path;
    try {
      path = Paths.canonical(req.path(), ctx.mergeSlashes(), ctx.pathSemicolons());
    } catch (Paths.Refused e) {
      ctx.unrouted().refuse(req, start, requestId, null, ProxyError.BAD_REQUEST,
          "invalid request path: " + e.getMessage(), true);
      return;
    }
    HostAndPort authority = req.authority();
    RouteMatch match = ctx.routes().current().match(req.method().name(),
        authority == null ? null : authority.host(), path, req.headers());
    if (match == null) {
      ctx.unrouted().refuse(req, start, requestId, path, ProxyError.NO_ROUTE,
          "no route for " + req.method() + " " + path, false);
      return;
    }

    // 4. Limits known from the headers.
    long contentLength = -1;
    String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl != null) {
      contentLength = Long.parseLong(cl);
      if (ctx.maxBodyBytes() > 0 && contentLength > ctx.maxBodyBytes()) {
        ctx.unrouted().refuse(req, start, requestId, path, ProxyError.BODY_TOO_LARGE,
            "request body of " + contentLength + " bytes exceeds " + ctx.maxBodyBytes(), true);
        return;
      }
    }

    boolean upgrade = WebSocketBridge.isUpgrade(req);
    boolean hasBody = !upgrade && (contentLength > 0 || req.headers().contains(HttpHeaders.TRANSFER_ENCODING)
        // HTTP/2 has no Transfer-Encoding: a body of unknown length is a stream not ended with its headers.
        || contentLength < 0 && req.version() == HttpVersion.HTTP_2 && !H2Streams.endedWithHeaders(req));
    if (upgrade || hasBody) {
      // toWebSocket() later needs a request that has not been consumed; a body waits (paused) until the
      // upstream request can take it.
      req.pause();
    }

    // 5. Policies (bound to the route when the table was built), then forward: see Exchange.
    new Exchange(ctx, req, tls, match, requestId, path, contentLength, hasBody, upgrade, start).start();
  }

  /** 128 random bits as 32 hex characters; cheaper than UUID.randomUUID(), which takes a lock. */
  static String newRequestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] c = new char[32];
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      c[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xf];
      c[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xf];
    }
    return new String(c);
  }
}
