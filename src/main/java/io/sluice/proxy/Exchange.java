package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.metrics.Meters;
import io.sluice.policy.PolicyCall;
import io.sluice.route.RouteMatch;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.AsyncResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's trip to the upstream: choose a target, send, retry where that is safe, stream the answer
 * back. Bodies stream both ways with backpressure and are never held whole, which is also why a request
 * with a body is only retried when not a byte of it has left (connect errors, a stale pooled connection).
 * Runs on the event loop of the request; every callback below does too.
 */
final class Exchange {

  /** Debug only (nothing is logged per request at info): set io.sluice.proxy to debug through /logging. */
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  private final ProxyContext ctx;
  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final RouteMatch match;
  private final Upstream upstream;
  private final String requestId;
  private final String uri;
  private final boolean hasBody;
  private final long contentLength;
  private final long startNanos;
  private final String hashKey;
  /** The policies' state and edits, or null on a route without policies. */
  private final PolicyCall call;
  /** The body limit of this request: the node's, or a policy's when lower. */
  private final long maxBody;
  /** The normalized request path, for the access record. */
  private final String path;

  private int attempt;
  private Target target;
  private HttpClientRequest out;
  private HttpConnection freshConnection;
  private boolean bodyStarted;
  private boolean responded;
  private boolean done;
  private boolean timedOut;
  private long bodyBytes;
  /** The idle timeout (the whole exchange) and the read timeout (request sent to the answer's start). */
  private Deadlines.Deadline idleDeadline;
  /** System.nanoTime() of the last body bytes either way, for the idle timeout. */
  private long lastActivity;
  private Deadlines.Deadline readDeadline;
  private long sentNanos;
  /** The answer's declared Content-Length (-1 when it has none), the body bytes seen, and a chunk held for end. */
  private long answerLength = -1;
  private long answerReceived;
  private Buffer lastChunk;

  Exchange(ProxyContext ctx, HttpServerRequest req, RouteMatch match, String requestId, String path,
           long contentLength, boolean hasBody, long startNanos, PolicyCall call) {
    this.call = call;
    long policyLimit = call == null ? -1 : call.maxBodyBytes();
    this.maxBody = policyLimit < 0 ? ctx.maxBodyBytes()
        : ctx.maxBodyBytes() > 0 ? Math.min(policyLimit, ctx.maxBodyBytes()) : policyLimit;
    this.ctx = ctx;
    this.req = req;
    this.resp = req.response();
    this.match = match;
    this.upstream = match.route().upstream();
    this.requestId = requestId;
    String query = call == null ? req.query() : call.query();
    String upstreamPath = match.upstreamPath(path);
    this.uri = query == null ? upstreamPath : upstreamPath + "?" + query;
    this.contentLength = contentLength;
    this.hasBody = hasBody;
    this.startNanos = startNanos;
    this.path = path;
    this.hashKey = upstream.hashes() ? hashKey(req, upstream) : null;
  }

  private static String hashKey(HttpServerRequest req, Upstream upstream) {
    if (upstream.hashHeader() != null) {
      String v = req.getHeader(upstream.hashHeader());
      if (v != null) {
        return v;
      }
    }
    return req.remoteAddress() == null ? "" : req.remoteAddress().host();
  }

  void start() {
    resp.closeHandler(v -> abort());
    req.exceptionHandler(err -> {
      // A body the decoder could not read (bad chunk size, truncated): the target must not get half of it.
      if (!done && !responded) {
        if (out != null) {
          out.reset();
        }
        finishWithError(ProxyError.BAD_REQUEST, "malformed request body", true);
      } else {
        abort();
      }
    });
    attempt(null, false);
  }

  /** Sends the request to a target; {@code fresh} bypasses the pool (retry of a stale pooled connection). */
  private void attempt(Target avoid, boolean fresh) {
    if (done) {
      return;
    }
    target = upstream.balancer().select(hashKey, avoid);
    if (target == null) {
      finishWithError(ProxyError.NO_HEALTHY_TARGET, "no healthy target for service " + upstream.name());
      return;
    }
    Target t = target;
    t.started();
    t.meters().requests.increment();
    if (attempt > 0) {
      t.meters().retries.increment();
    }
    // The idle timeout is ours (armed when the request exists, see connected), not Vert.x's per-request timer.
    RequestOptions options = new RequestOptions()
        .setMethod(req.method())
        .setServer(t.socketAddress())
        .setHost(t.host())
        .setPort(t.port())
        .setURI(uri)
        .setConnectTimeout(upstream.timeouts().connectMs());
    if (fresh) {
      ctx.client().connect(new io.vertx.core.http.HttpConnectOptions().setHost(t.host()).setPort(t.port())
              .setConnectTimeout(upstream.timeouts().connectMs()))
          .compose(conn -> {
            freshConnection = conn;
            return conn.request(options);
          })
          .onComplete(ar -> connected(t, ar, false));
    } else {
      long asked = System.nanoTime();
      ctx.client().request(options).onComplete(ar -> {
        t.meters().acquire.record(System.nanoTime() - asked, java.util.concurrent.TimeUnit.NANOSECONDS);
        connected(t, ar, true);
      });
    }
  }

  private void connected(Target t, AsyncResult<HttpClientRequest> ar, boolean pooled) {
    if (ar.failed()) {
      t.finished();
      if (done) {
        t.breaker().release();
        return;
      }
      Throwable cause = ar.cause();
      t.meters().failures.increment();
      t.breaker().onFailure(System.nanoTime());
      boolean timeout = cause instanceof TimeoutException
          || String.valueOf(cause.getMessage()).contains("timed out");
      // Nothing was sent: a connect error may be retried whatever the method.
      if (attempt < upstream.retries()) {
        retryAfterBackoff(t);
      } else {
        finishWithError(timeout ? ProxyError.UPSTREAM_TIMEOUT : ProxyError.UPSTREAM_ERROR,
            (timeout ? "connect timeout to " : "cannot connect to ") + t.address());
      }
      return;
    }
    if (done) {
      t.finished();
      t.breaker().release();
      ar.result().reset();
      return;
    }
    out = ar.result();
    armIdleTimeout(out);
    boolean reused = pooled && reusedConnection(out);
    if (reused) {
      t.meters().reused.increment();
    } else {
      Meters.TargetMeters m = t.meters();
      m.opened.increment();
      out.connection().closeHandler(v -> m.closed.increment());
    }
    send(t, reused);
  }

  /**
   * Whether the request's connection carried an earlier request. HTTP/1.x streams are numbered from 1 on each
   * connection; where no number is given, this loop remembers the connections it has used.
   */
  private boolean reusedConnection(HttpClientRequest o) {
    int stream = o.streamId();
    return stream > 0 ? stream > 1 : ctx.markUse(o.connection());
  }

  private void send(Target t, boolean reused) {
    HttpClientRequest o = out;
    // Before the answer, failures surface through o.response(). After it (idle timeout, reset mid-body) the
    // request's exception handler is the only one told, and the client must see the answer break off.
    o.exceptionHandler(err -> {
      if (responded) {
        upstreamBroke(t);
      }
    });
    Forwarding.requestHeaders(req, o.headers(), requestId);
    if (call != null) {
      call.editUpstreamHeaders(o.headers());
    }
    if (match.route().preserveHost() && req.authority() != null) {
      o.authority(req.authority());
    }
    o.response().onComplete(ar -> {
      if (ar.succeeded()) {
        onResponse(t, o, ar.result());
      } else {
        onSendFailure(t, o, ar.cause(), reused);
      }
    });
    if (!hasBody) {
      o.end().onSuccess(v -> armReadTimeout(o));
      return;
    }
    if (contentLength >= 0) {
      o.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(contentLength));
    } else {
      o.setChunked(true);
    }
    req.handler(chunk -> {
      bodyStarted = true;
      bodyBytes += chunk.length();
      lastActivity = System.nanoTime();
      if (maxBody > 0 && bodyBytes > maxBody) {
        req.handler(null);
        finishWithError(ProxyError.BODY_TOO_LARGE, "request body exceeds " + maxBody + " bytes", true);
        o.reset();
        return;
      }
      o.write(chunk);
      if (o.writeQueueFull()) {
        req.pause();
        o.drainHandler(v -> req.resume());
      }
    });
    req.endHandler(v -> {
      if (!done) {
        o.end().onSuccess(x -> armReadTimeout(o));
      }
    });
    req.resume();
  }

  /**
   * The idle timeout covers the whole exchange, from the request's creation to the answer's end: a silence of
   * idle_ms in both directions breaks it off (504 before the answer starts, a broken answer after). Chunks
   * only record the time; the deadline checks it and, while bytes flow, re-arms for another idle_ms, so a
   * silence is noticed between idle_ms and twice that, at the cost of one deadline per idle_ms.
   */
  private void armIdleTimeout(HttpClientRequest o) {
    lastActivity = System.nanoTime();
    long idleMs = upstream.timeouts().idleMs();
    idleDeadline = ctx.deadlines().schedule(idleMs, () -> checkIdle(o, idleMs));
  }

  private void checkIdle(HttpClientRequest o, long idleMs) {
    idleDeadline = null;
    if (done || out != o) {
      return;
    }
    if (System.nanoTime() - lastActivity < idleMs * 1_000_000L) {
      idleDeadline = ctx.deadlines().schedule(idleMs, () -> checkIdle(o, idleMs));
    } else if (!responded) {
      expire(o, "nothing sent or received for " + idleMs + " ms");
    } else {
      target.meters().failures.increment();
      upstreamBroke(target);
    }
  }

  /** The read timeout runs from the last byte sent to the first byte of the answer. */
  private void armReadTimeout(HttpClientRequest o) {
    sentNanos = System.nanoTime();
    if (!responded && !done) {
      long readMs = upstream.timeouts().readMs();
      readDeadline = ctx.deadlines().schedule(readMs, () -> expire(o, "no response within " + readMs + " ms"));
    }
  }

  private void expire(HttpClientRequest o, String why) {
    if (!responded && out == o) {
      timedOut = true;
      o.reset(0, new TimeoutException(why));
    }
  }

  /** The answer started: the read timeout is met (the idle timeout goes on while it streams). */
  private void cancelReadTimeout() {
    if (readDeadline != null) {
      readDeadline.cancel();
      readDeadline = null;
    }
  }

  /** The attempt ended: no timeout applies any more. */
  private void cancelTimeouts() {
    if (idleDeadline != null) {
      idleDeadline.cancel();
      idleDeadline = null;
    }
    if (readDeadline != null) {
      readDeadline.cancel();
      readDeadline = null;
    }
  }

  private void onSendFailure(Target t, HttpClientRequest o, Throwable cause, boolean reused) {
    cancelTimeouts();
    t.finished();
    closeFresh();
    if (done || responded) {
      t.breaker().release();
      return;
    }
    boolean timeout = timedOut || cause instanceof TimeoutException;
    boolean closed = cause instanceof HttpClosedException || (cause instanceof IOException && !(cause instanceof ConnectException));
    if (closed && reused && !bodyStarted && !timeout) {
      // The target closed a pooled connection just as we picked it: nothing was processed, try a fresh one.
      t.breaker().release();
      attempt++;
      attempt(null, true);
      return;
    }
    t.meters().failures.increment();
    t.breaker().onFailure(System.nanoTime());
    if (replayable() && attempt < upstream.retries()) {
      timedOut = false;
      retryAfterBackoff(t);
      return;
    }
    if (timeout) {
      finishWithError(ProxyError.UPSTREAM_TIMEOUT, "no response from " + t.address() + " in time");
    } else {
      finishWithError(ProxyError.UPSTREAM_ERROR, "target " + t.address() + " failed: " + cause.getMessage());
    }
  }

  /** An idempotent request without a body can be sent again after the target answered or timed out. */
  private boolean replayable() {
    return !hasBody && IDEMPOTENT.contains(req.method());
  }

  private void retryAfterBackoff(Target failed) {
    if (LOG.isDebugEnabled()) {
      LOG.debug("retrying after a failed attempt", kv("request_id", requestId), kv("route", match.route().name()),
          kv("target", failed.address()), kv("attempt", attempt + 1));
    }
    cancelTimeouts();
    long delay = upstream.backoff().delayMs(attempt);
    attempt++;
    out = null;
    if (delay <= 0) {
      attempt(failed, false);
    } else {
      ctx.vertx().setTimer(delay, id -> attempt(failed, false));
    }
  }

  private void onResponse(Target t, HttpClientRequest o, HttpClientResponse upstreamResp) {
    cancelReadTimeout();
    if (done) {
      t.finished();
      t.breaker().release();
      o.reset();
      return;
    }
    int status = upstreamResp.statusCode();
    boolean failure = status == 502 || status == 503 || status == 504;
    if (failure) {
      t.meters().failures.increment();
      t.breaker().onFailure(System.nanoTime());
      if (replayable() && attempt < upstream.retries()) {
        // Drain the error body so the connection goes back to the pool, then try again.
        upstreamResp.handler(b -> { });
        upstreamResp.end().onComplete(v -> {
          t.finished();
          closeFresh();
        });
        retryAfterBackoff(t);
        return;
      }
    } else {
      t.breaker().onSuccess();
    }
    responded = true;
    answerLength = Forwarding.responseHead(req, upstreamResp, resp, requestId);
    PolicyCall.Capture capture = null;
    if (call != null) {
      capture = call.capture(status, resp.headers());
      call.onResponse(status, resp.headers());
    }
    PolicyCall.Capture cap = capture;
    upstreamResp.handler(chunk -> {
      lastActivity = System.nanoTime();
      if (cap != null) {
        cap.chunk(chunk);
      }
      answerReceived += chunk.length();
      if (answerReceived == answerLength) {
        // The chunk that completes a declared length: the end follows at once, and goes out with it (for a
        // short answer, head and body in one write instead of two).
        lastChunk = chunk;
        return;
      }
      resp.write(chunk);
      if (resp.writeQueueFull()) {
        upstreamResp.pause();
        resp.drainHandler(v -> upstreamResp.resume());
      }
    });
    upstreamResp.exceptionHandler(err -> upstreamBroke(t));
    upstreamResp.endHandler(v -> {
      if (!done) {
        done = true;
        cancelTimeouts();
        t.finished();
        closeFresh();
        if (lastChunk != null) {
          resp.end(lastChunk);
        } else {
          resp.end();
        }
        if (cap != null) {
          cap.end();
        }
        record(status);
      }
    });
  }

  /** The answer broke off mid-body: closing the client connection is the only honest signal left. */
  private void upstreamBroke(Target t) {
    if (!done && LOG.isDebugEnabled()) {
      LOG.debug("upstream broke off the answer", kv("request_id", requestId), kv("route", match.route().name()),
          kv("target", t.address()));
    }
    if (!done) {
      done = true;
      cancelTimeouts();
      t.finished();
      closeFresh();
      if (out != null) {
        out.reset();
      }
      resp.reset();
      record(resp.getStatusCode());
    }
  }

  private void closeFresh() {
    if (freshConnection != null) {
      freshConnection.close();
      freshConnection = null;
    }
  }

  /** The client went away: stop the upstream side and free the target. */
  private void abort() {
    if (done) {
      return;
    }
    done = true;
    cancelTimeouts();
    if (responded && target != null) {
      target.finished();
      closeFresh();
    }
    if (out != null) {
      out.reset();
    }
  }

  private void finishWithError(ProxyError error, String message) {
    finishWithError(error, message, false);
  }

  private void finishWithError(ProxyError error, String message, boolean close) {
    if (done) {
      return;
    }
    done = true;
    cancelTimeouts();
    if (hasBody && !req.isEnded()) {
      // The client may still be sending a body nobody will read: answer, then close.
      close = true;
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("answered with an error: {}", message, kv("request_id", requestId),
          kv("route", match.route().name()), kv("status", error.status()));
    }
    if (call != null) {
      call.onResponse(error.status(), resp.headers());
    }
    error.send(req, requestId, message, close);
    record(error.status());
  }

  private void record(int status) {
    long now = System.nanoTime();
    long upstreamNanos = sentNanos > 0 ? now - sentNanos : 0;
    match.route().meters().record(status, now - startNanos, upstreamNanos);
    ctx.recordAccess(req, match.route(), call, path, requestId, status, now - startNanos, upstreamNanos,
        hasBody ? bodyBytes : 0, responded ? answerReceived : 0, target == null ? null : target.address());
  }
}
