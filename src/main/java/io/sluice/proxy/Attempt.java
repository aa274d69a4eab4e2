package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.metrics.Meters;
import io.sluice.upstream.Target;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One try of an {@link Exchange} at one target: connect (pooled, or fresh when a pooled connection was stale),
 * send the head and stream the body, wait for the answer within the read timeout, then relay it to the client
 * with backpressure both ways. Decides what its failures mean: the target's (counted by the breaker, retried
 * where that is safe) or the client's (never counted against the target). Bodies are never held whole, which
 * is why a request with a body is only retried when not a byte of it has left.
 *
 * <p>Its parts: {@link BodyUpload} streams the request body, {@link AnswerRelay} the answer,
 * {@link AttemptTimeouts} keeps the idle and read timeouts, {@link UpstreamFailures} tells failures apart.
 * The first three each stand in for a lambda the attempt allocated before: the split adds no allocation.
 */
final class Attempt {

  private static final Logger LOG = LoggerFactory.getLogger(Attempt.class);
  /** How much longer than a TCP connect a request may wait for a pooled connection. */
  private static final int POOL_WAIT_FACTOR = 2;

  private final Exchange ex;
  private final Target target;
  /** The idle timeout (the whole attempt) and the read timeout (request sent to the answer's start). */
  private final AttemptTimeouts timeouts;
  private HttpClientRequest out;
  private HttpConnection freshConnection;
  /** The request body on its way, or null (no body, or not sent yet). */
  private BodyUpload upload;
  /** The request left whole (its last byte written): see {@link #sendFailed}. */
  private boolean written;
  private boolean timedOut;
  private boolean finished;
  private boolean released;
  /** Tracing (issue 16): this attempt's span, or null while tracing is off. */
  private io.sluice.tracing.RequestTrace.Attempt span;

  Attempt(Exchange ex, Target target, int number) {
    this.ex = ex;
    this.target = target;
    this.timeouts = new AttemptTimeouts(ex, this, target);
    target.started();
    target.meters().requests.increment();
    if (number > 0) {
      target.meters().retries.increment();
    }
  }

  /** Sends the request; {@code fresh} bypasses the pool (retry of a stale pooled connection). */
  void start(boolean fresh) {
    // The idle timeout is ours (armed when the request exists, see connected), not Vert.x's per-request timer.
    long connectMs = ex.upstream.timeouts().connectMs();
    RequestOptions options = new RequestOptions()
        .setMethod(ex.req.method())
        .setServer(target.socketAddress())
        .setHost(target.authorityHost()) // the Host header only: the connection goes to the server address
        .setPort(target.port())
        .setURI(ex.uri)
        // The wait for a pooled connection: longer than a TCP connect may take (the client's connect timeout),
        // so that a timeout here means "no connection free", never "the target did not answer".
        .setConnectTimeout(connectMs * POOL_WAIT_FACTOR);
    HttpClientAgent client = ex.ctx.pools().client(ex.upstream, target);
    if (fresh) {
      client.connect(new HttpConnectOptions().setHost(target.host()).setPort(target.port())
              .setConnectTimeout(ex.upstream.timeouts().connectMs()))
          .compose(conn -> {
            // Not the pool's (its connect handler does not run): else Vert.x logs each reset at ERROR, no context.
            conn.exceptionHandler(err -> { });
            freshConnection = conn;
            return conn.request(options);
          })
          .onComplete(ar -> connected(ar, false));
    } else {
      long asked = System.nanoTime();
      client.request(options).onComplete(ar -> {
        target.meters().acquire.record(System.nanoTime() - asked, TimeUnit.NANOSECONDS);
        connected(ar, true);
      });
    }
  }

  private void connected(AsyncResult<HttpClientRequest> ar, boolean pooled) {
    if (ar.failed()) {
      release();
      if (ex.done) {
        return;
      }
      Throwable cause = ar.cause();
      if (UpstreamFailures.poolWait(cause)) {
        // Waiting for a pooled connection is not the target's failure: the pool is busy.
        ex.fail(ProxyError.UPSTREAM_BUSY, "no connection to " + target.address() + " free in time: "
            + cause.getMessage(), false);
        return;
      }
      boolean timeout = UpstreamFailures.connectTimeout(cause);
      targetFailed();
      // Nothing was sent: a connect error may be retried whatever the method.
      if (ex.mayRetry()) {
        ex.retryAfterBackoff(target, timeout ? "connect timeout" : "connect failed");
      } else {
        String why = timeout ? "connect timeout to " + target.address()
            : "cannot connect to " + target.address() + ": " + UpstreamFailures.reason(cause);
        warnIfTls(cause, why);
        ex.fail(timeout ? ProxyError.UPSTREAM_TIMEOUT : ProxyError.UPSTREAM_ERROR, why, false);
      }
      return;
    }
    if (ex.done) { // the client went away while the connection was being obtained: give the stream back
      release();
      HttpClientRequest unsent = ar.result();
      unsent.exceptionHandler(err -> { }); // else Vert.x logs the reset we asked for at ERROR
      ex.ctx.resets().reset(unsent, target.scheme().http2(), false, UpstreamResets.CANCEL, null);
      return;
    }
    out = ar.result();
    timeouts.armIdle();
    boolean reused = pooled && reusedConnection(out);
    if (reused) {
      target.meters().reused.increment();
    } else {
      Meters.TargetMeters m = target.meters();
      m.opened.increment();
      out.connection().closeHandler(v -> m.closed.increment());
    }
    try {
      send(reused);
    } catch (RuntimeException e) {
      headRefused(e);
    }
  }

  /**
   * The HTTP client refused to write the request's head (nothing of it was written): the fault is the gateway's
   * ({@link Exchange#headRefused}). The request is reset, so its pooled connection is not left stranded.
   */
  private void headRefused(RuntimeException e) {
    finish();
    resetOut(UpstreamResets.CANCEL, null);
    ex.headRefused(target, "the HTTP client refused the request's head: " + e.getMessage());
  }

  /**
   * Whether the request's connection carried an earlier request. HTTP/1.x streams are numbered from 1 on each
   * connection; where no number is given, this loop remembers the connections it has used.
   */
  private boolean reusedConnection(HttpClientRequest o) {
    if (target.scheme().http2()) {
      return ex.ctx.markUse(o.connection()); // the stream id exists only once the head is written
    }
    int stream = o.streamId();
    return stream > 0 ? stream > 1 : ex.ctx.markUse(o.connection());
  }

  private void send(boolean reused) {
    HttpClientRequest o = out;
    // Before the answer, failures surface through o.response(). After it (idle timeout, reset mid-body) the
    // request's exception handler is the only one told, and the client must see the answer break off.
    o.exceptionHandler(err -> {
      if (ex.responded) {
        upstreamBroke();
      }
    });
    Forwarding.requestHeaders(ex, o.headers());
    if (target.scheme().http2() && Forwarding.acceptsTrailers(ex.req)) {
      o.headers().set("te", "trailers"); // the one TE HTTP/2 allows; gRPC servers want it
    }
    if (ex.trace != null) { // tracing hook: traceparent and this attempt's span (a resend on a fresh connection: a new one)
      if (span != null) {
        span.end(0);
      }
      span = ex.trace.attempt(o.headers(), target.address(), ex.attempts + 1); // numbered from 1, as the log lines count
    }
    ex.editUpstreamHeaders(o.headers());
    if (ex.route.preserveHost() && ex.req.authority() != null) {
      o.authority(ex.req.authority());
    }
    if (ex.req.version() != HttpVersion.HTTP_1_0) { // an HTTP/1.0 client gets no 1xx
      o.earlyHintsHandler(hints -> EarlyHints.relay(ex, this, hints));
    }
    o.response().onComplete(ar -> {
      if (ar.succeeded()) {
        answered(ar.result());
      } else {
        sendFailed(ar.cause(), reused);
      }
    });
    if (!ex.hasBody) {
      o.end().onSuccess(v -> sent());
      return;
    }
    upload = new BodyUpload(ex, this, o);
    upload.start();
  }

  /** The request's last byte left: the read timeout starts. */
  void sent() {
    written = true;
    timeouts.armRead();
  }

  /** Body bytes went one way or the other: the attempt is not idle. */
  void active(long now) {
    timeouts.active(now);
  }

  /** Whether the target holds the request body paused (a stall that is not the client's). */
  boolean heldByTarget() {
    return upload != null && upload.heldByTarget();
  }

  /** Whether the target speaks HTTP/2 (h2, h2c). */
  boolean http2() {
    return target.scheme().http2();
  }

  boolean finished() {
    return finished;
  }

  /** A timeout before the answer: the request is reset, and {@link #sendFailed} reports a 504 (or retries). */
  void expire(String why) {
    if (!ex.responded && !finished) {
      timedOut = true;
      resetOut(UpstreamResets.CANCEL, new TimeoutException(why));
    }
  }

  private void cancelTimeouts() {
    if (upload != null) {
      upload.cancel();
    }
    timeouts.cancel();
  }

  private void sendFailed(Throwable cause, boolean reused) {
    cancelTimeouts();
    if (finished) {
      return;
    }
    release();
    if (ex.done || ex.responded) {
      return;
    }
    boolean timeout = timedOut || cause instanceof TimeoutException;
    boolean closed = UpstreamFailures.closed(cause);
    // A request whose body began, or that left whole and is not idempotent, may have been processed: never again.
    boolean unrepeatable = upload != null && upload.started() || written && !ex.replayable();
    if (closed && (reused || ex.ctx.resets().retired(out.connection())) && !unrepeatable && !timeout) {
      // The target closed a pooled connection just as we picked it, or this loop retired it: nothing was
      // processed (or, for an idempotent request, processing it again does no harm), try a fresh one.
      ex.retryFresh();
      return;
    }
    targetFailed();
    if (ex.replayable() && ex.mayRetry()) {
      ex.retryAfterBackoff(target, timeout ? "read timeout" : "connection failed");
      return;
    }
    if (timeout) {
      ex.fail(ProxyError.UPSTREAM_TIMEOUT, "no response from " + target.address() + " in time", false);
    } else {
      // TLS 1.3: a target that refuses our client certificate (or its absence) says so after our handshake ended.
      String why = "target " + target.address() + " failed: " + cause.getMessage();
      warnIfTls(cause, why);
      ex.fail(ProxyError.UPSTREAM_ERROR, why, false);
    }
  }

  /** A TLS failure with a target is the operator's business (a certificate, a CA bundle): logged at warn. */
  private void warnIfTls(Throwable cause, String why) {
    if (UpstreamFailures.tlsFailure(cause)) {
      LOG.warn("TLS to a target failed: {}", why, ex.ids(), kv("route", ex.route.name()),
          kv("service", ex.upstream.name()), kv("target", target.address()));
    }
  }

  private void answered(HttpClientResponse answer) {
    if (span != null) {
      span.end(answer.statusCode()); // tracing hook
    }
    timeouts.answered();
    if (ex.done || finished) { // the client went away (a gRPC deadline) as the answer came
      answer.exceptionHandler(UpstreamResets.UNREAD);
      release();
      resetOut(UpstreamResets.CANCEL, null);
      return;
    }
    int status = answer.statusCode();
    if (status < 200 || status > 599) {
      if (status < 100 || status > 599) {
        targetFailed(); // not an HTTP status at all, as a malformed head is not
      }
      answer.exceptionHandler(UpstreamResets.UNREAD);
      ex.fail(ProxyError.UPSTREAM_ERROR, UpstreamFailures.unrelayable(target.address(), status), false);
      return;
    }
    if (status == 502 || status == 503 || status == 504) {
      targetFailed();
      if (ex.replayable() && ex.mayRetry()) {
        // Drain the error body so the connection goes back to the pool, then try again.
        cancelTimeouts();
        finished = true;
        answer.handler(b -> { }).exceptionHandler(UpstreamResets.UNREAD);
        answer.end().onComplete(v -> release());
        ex.retryAfterBackoff(target, status);
        return;
      }
    } else {
      target.breaker().onSuccess();
    }
    new AnswerRelay(ex, this, answer, status).start();
  }

  /** The answer broke off mid-body: closing the client connection is the only honest signal left. */
  void upstreamBroke() {
    if (ex.done || finished) {
      return;
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("upstream broke off the answer", ex.ids(), kv("route", ex.route.name()),
          kv("target", target.address()));
    }
    ex.done = true;
    finish();
    if (out != null) {
      resetOut(UpstreamResets.CANCEL, null);
    }
    // HTTP/2: INTERNAL_ERROR, never the default NO_ERROR, which a client reads as "the answer is complete"
    // (RFC 9113 section 8.1) and keeps a truncated body; HTTP/1.1: the connection is closed.
    ex.resp.reset(UpstreamResets.INTERNAL_ERROR);
    ex.record(ProxyError.UPSTREAM_ERROR.status());
  }

  /** The exchange ended without this attempt (the client went away, or the request was refused mid-body). */
  void cancel() {
    if (finished) {
      return;
    }
    boolean started = out != null;
    finish();
    if (started) {
      resetOut(UpstreamResets.CANCEL, null);
    }
  }

  /** This attempt is over: no timeout applies, and the target's in-flight count goes down once. */
  void finish() {
    if (span != null) {
      span.end(0); // tracing hook (no-op once answered)
    }
    if (!finished) {
      finished = true;
      cancelTimeouts();
      release();
    }
  }

  /** The target no longer carries this request (load balancing counts, half-open breaker probes). */
  private void release() {
    if (!released) {
      released = true;
      target.finished();
      target.breaker().release();
      closeFresh();
    }
  }

  /** Resets the upstream request; on HTTP/2 the reset is counted against its connection (see UpstreamResets). */
  private void resetOut(long code, Throwable cause) {
    ex.ctx.resets().reset(out, target.scheme().http2(), true, code, cause);
  }

  /** What the target did counts against it: a failure for the breaker and the meters. */
  private void targetFailed() {
    target.meters().failures.increment();
    target.breaker().onFailure(System.nanoTime());
  }

  private void closeFresh() {
    if (freshConnection != null) {
      freshConnection.close();
      freshConnection = null;
    }
  }
}
