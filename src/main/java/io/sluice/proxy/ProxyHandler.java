package io.sluice.proxy;

import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyChain;
import io.sluice.policy.Refusal;
import io.sluice.route.Paths;
import io.sluice.route.RouteMatch;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The request pipeline of the proxy listener, one readable method: identify, check framing, match a route,
 * check limits, then hand over to a WebSocket bridge or an {@link Exchange}.
 */
final class ProxyHandler implements Handler<HttpServerRequest> {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final ProxyContext ctx;
  private final WebSocketBridge webSockets;

  ProxyHandler(ProxyContext ctx) {
    this.ctx = ctx;
    this.webSockets = new WebSocketBridge(ctx);
  }

  @Override
  public void handle(HttpServerRequest req) {
    long start = System.nanoTime();

    // 1. Request id: passed through when the client sent one, generated otherwise.
    String requestId = req.getHeader(HeaderNames.X_REQUEST_ID);
    if (requestId == null || requestId.isEmpty() || requestId.length() > 200) {
      requestId = newRequestId();
    }

    // 2. Framing: anything two parsers could read differently is refused before it goes anywhere.
    String framing = RequestGuard.problem(req.headers());
    if (framing != null) {
      ProxyError.BAD_REQUEST.send(req, requestId, framing, true);
      return;
    }

    // 3. Route: the table as it is now; this request finishes on it even if it is swapped meanwhile.
    String path = Paths.normalize(req.path());
    if (path == null) {
      ProxyError.BAD_REQUEST.send(req, requestId, "invalid request path", true);
      return;
    }
    HostAndPort authority = req.authority();
    RouteMatch match = ctx.routes().current().match(req.method().name(),
        authority == null ? null : authority.host(), path, req.headers());
    if (match == null) {
      ProxyError.NO_ROUTE.send(req, requestId, "no route for " + req.method() + " " + path, false);
      return;
    }

    // 4. Limits known from the headers.
    long contentLength = -1;
    String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl != null) {
      contentLength = Long.parseLong(cl);
      if (ctx.maxBodyBytes() > 0 && contentLength > ctx.maxBodyBytes()) {
        ProxyError.BODY_TOO_LARGE.send(req, requestId,
            "request body of " + contentLength + " bytes exceeds " + ctx.maxBodyBytes(), true);
        return;
      }
    }

    boolean upgrade = WebSocketBridge.isUpgrade(req);
    boolean hasBody = !upgrade && (contentLength > 0 || req.headers().contains(HttpHeaders.TRANSFER_ENCODING));
    if (upgrade || hasBody) {
      // toWebSocket() later needs a request that has not been consumed; a body waits (paused) until the
      // upstream request can take it.
      req.pause();
    }

    // 5. Policies, bound to the route when the table was built (none: one null check).
    PolicyChain policies = match.route().policies();
    if (policies == null) {
      forward(req, match, requestId, path, contentLength, hasBody, upgrade, start, null);
      return;
    }
    PolicyCall call = new PolicyCall(req, requestId, path, match.route().name());
    String id = requestId;
    long length = contentLength;
    policies.run(call).onComplete(ar -> {
      if (req.response().closed() || req.response().ended()) {
        return;
      }
      if (ar.succeeded()) {
        forward(req, match, id, path, length, hasBody, upgrade, start, call);
      } else {
        refuse(req, match, call, ar.cause(), hasBody, start);
      }
    });
  }

  /** 6. Forward: a WebSocket upgrade is bridged frame by frame, anything else streamed as HTTP. */
  private void forward(HttpServerRequest req, RouteMatch match, String requestId, String path, long contentLength,
                       boolean hasBody, boolean upgrade, long start, PolicyCall call) {
    if (upgrade) {
      webSockets.bridge(req, match, requestId, path, call);
      return;
    }
    new Exchange(ctx, req, match, requestId, path, contentLength, hasBody, start, call).start();
  }

  /** A policy refused the request: its answer, with the headers the policies set for every answer. */
  private void refuse(HttpServerRequest req, RouteMatch match, PolicyCall call, Throwable cause,
                      boolean hasBody, long start) {
    Refusal r = cause instanceof Refusal refusal ? refusal
        : new Refusal(500, "policy_error", "a policy failed: " + cause.getMessage());
    var headers = req.response().headers();
    if (r.bodyless() || r.body() != null) {
      // An answer in the policy's name (preflight, cached response): its head, then the response phase.
      headers.addAll(r.headers());
      call.onResponse(r.status(), headers);
      req.response().setStatusCode(r.status()).putHeader("X-Request-Id", call.requestId());
      if (r.body() != null && req.method() != io.vertx.core.http.HttpMethod.HEAD) {
        req.response().end(r.body());
      } else {
        req.response().end();
      }
      answeredByPolicy(req, match, call, r.status(), start);
      return;
    }
    call.onResponse(r.status(), headers);
    headers.addAll(r.headers());
    // A body nobody will read: answer, then close, so that its bytes are never taken for a request.
    ProxyError.send(req, r.status(), r.code(), call.requestId(), r.getMessage(), hasBody && !req.isEnded());
    answeredByPolicy(req, match, call, r.status(), start);
  }

  /**
   * A request a policy answered (a refusal: 401, 403, 429...; a preflight; a cached answer) counts like any
   * other: in the route's meters, and in the tenant's access stream, so that a tenant sees the traffic its
   * policies turned away. Nothing went upstream: upstream_ms 0, upstream null, the request body unread.
   */
  private void answeredByPolicy(HttpServerRequest req, RouteMatch match, PolicyCall call, int status, long start) {
    long elapsed = System.nanoTime() - start;
    match.route().meters().record(status, elapsed, 0);
    ctx.recordAccess(req, match.route(), call, call.path(), call.requestId(), status, elapsed, 0, 0,
        req.response().bytesWritten(), null);
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
