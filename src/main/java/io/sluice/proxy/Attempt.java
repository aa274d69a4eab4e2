package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.metrics.Meters;
import io.sluice.policy.PolicyCall;
import io.sluice.upstream.Target;
import io.vertx.core.AsyncResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.ConnectException;
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
 */
final class Attempt {

  private static final Logger LOG = LoggerFactory.getLogger(Attempt.class);
  /** How much longer than a TCP connect a request may wait for a pooled connection. */
  private static final int POOL_WAIT_FACTOR = 2;

  private final Exchange ex;
  private final Target target;
  private HttpClientRequest out;
  private HttpConnection freshConnection;
  private boolean bodyStarted;
  private boolean timedOut;
  private boolean finished;
  /** The request is paused because the target cannot take more yet (its fault, not the client's, if it stalls). */
  private boolean heldByTarget;
  /** The idle timeout (the whole attempt) and the read timeout (request sent to the answer's start). */
  private Deadlines.Deadline idleDeadline;
  private Deadlines.Deadline readDeadline;
  /** The request body's deadline, when it started streaming, the last read from the client, and the time the
   *  target held it paused. */
  private Deadlines.Deadline bodyDeadline;
  private long bodySince;
  private long lastBodyRead;
  private long heldNanos;
  /** System.nanoTime() of the last body bytes either way, for the idle timeout. */
  private long lastActivity;
  /** The answer's declared Content-Length (-1 when it has none), and a chunk held back to go out with the end. */
  private long answerLength = -1;
  private Buffer lastChunk;

  Attempt(Exchange ex, Target target, int number) {
    this.ex = ex;
    this.target = target;
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
        .setHost(target.host())
        .setPort(target.port())
        .setURI(ex.uri)
        // The wait for a pooled connection: longer than a TCP connect may take (the client's connect timeout),
        // so that a timeout here means "no connection free", never "the target did not answer".
        .setConnectTimeout(connectMs * POOL_WAIT_FACTOR);
    HttpClientAgent client = ex.ctx.pools().client(ex.upstream, target.scheme());
    if (fresh) {
      client.connect(new HttpConnectOptions().setHost(target.host()).setPort(target.port())
              .setConnectTimeout(ex.upstream.timeouts().connectMs()))
          .compose(conn -> {
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
      if (poolWait(cause)) {
        // Waiting for a pooled connection is not the target's failure: the pool is busy.
        ex.fail(ProxyError.UPSTREAM_BUSY, "no connection to " + target.address() + " free in time: "
            + cause.getMessage(), false);
        return;
      }
      boolean timeout = cause instanceof TimeoutException || cause instanceof io.netty.channel.ConnectTimeoutException
          || String.valueOf(cause.getMessage()).contains("timed out");
      targetFailed();
      // Nothing was sent: a connect error may be retried whatever the method.
      if (ex.mayRetry()) {
        ex.retryAfterBackoff(target);
      } else {
        String why = timeout ? "connect timeout to " + target.address()
            : "cannot connect to " + target.address() + ": " + reason(cause);
        warnIfTls(cause, why);
        ex.fail(timeout ? ProxyError.UPSTREAM_TIMEOUT : ProxyError.UPSTREAM_ERROR, why, false);
      }
      return;
    }
    if (ex.done) { // the client went away while the connection was being obtained: give the stream back
      release();
      HttpClientRequest unsent = ar.result();
      unsent.exceptionHandler(err -> { }); // else Vert.x logs the reset we asked for at ERROR
      unsent.reset();
      return;
    }
    out = ar.result();
    armIdleTimeout();
    boolean reused = pooled && reusedConnection(out);
    if (reused) {
      target.meters().reused.increment();
    } else {
      Meters.TargetMeters m = target.meters();
      m.opened.increment();
      out.connection().closeHandler(v -> m.closed.increment());
    }
    send(reused);
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
    Forwarding.requestHeaders(ex.req, o.headers(), ex.requestId());
    if (target.scheme().http2() && Forwarding.acceptsTrailers(ex.req)) {
      o.headers().set("te", "trailers"); // the one TE HTTP/2 allows; gRPC servers want it
    }
    if (ex.trace != null) { // tracing hook: traceparent and this attempt's span (a resend on a fresh connection: a new one)
      if (span != null) {
        span.end(0);
      }
      span = ex.trace.attempt(o.headers(), target.address(), ex.attempts);
    }
    ex.editUpstreamHeaders(o.headers());
    if (ex.route.preserveHost() && ex.req.authority() != null) {
      o.authority(ex.req.authority());
    }
    o.response().onComplete(ar -> {
      if (ar.succeeded()) {
        answered(ar.result());
      } else {
        sendFailed(ar.cause(), reused);
      }
    });
    if (!ex.hasBody) {
      o.end().onSuccess(v -> armReadTimeout());
      return;
    }
    if (ex.contentLength >= 0) {
      o.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(ex.contentLength));
    } else {
      o.setChunked(true);
    }
    bodySince = System.nanoTime();
    lastBodyRead = bodySince;
    armBodyDeadline();
    ex.req.handler(chunk -> {
      bodyStarted = true;
      ex.bodyBytes += chunk.length();
      lastActivity = System.nanoTime();
      lastBodyRead = lastActivity;
      if (ex.maxBody > 0 && ex.bodyBytes > ex.maxBody) {
        ex.req.handler(null);
        ex.fail(ProxyError.BODY_TOO_LARGE, "request body exceeds " + ex.maxBody + " bytes", true);
        return;
      }
      o.write(chunk);
      if (o.writeQueueFull()) {
        ex.req.pause();
        heldByTarget = true;
        long held = System.nanoTime();
        o.drainHandler(v -> {
          heldByTarget = false;
          long now = System.nanoTime();
          heldNanos += now - held;
          lastBodyRead = now; // the silence while the target could not take more is not the client's
          ex.req.resume();
        });
      }
    });
    ex.req.endHandler(v -> {
      if (bodyDeadline != null) {
        bodyDeadline.cancel();
        bodyDeadline = null;
      }
      if (!ex.done && !finished) {
        o.end().onSuccess(x -> armReadTimeout());
      }
    });
    ex.req.resume();
  }

  /**
   * The idle timeout covers the whole attempt, from the request's creation to the answer's end: a silence of
   * idle_ms in both directions breaks it off (504 before the answer starts, a broken answer after; a 408 when
   * it was the client that stopped sending its body). Chunks only record the time; the deadline checks it
   * and, while bytes flow, re-arms for another idle_ms, so a silence is noticed between idle_ms and twice
   * that, at the cost of one deadline per idle_ms.
   */
  private void armIdleTimeout() {
    lastActivity = System.nanoTime();
    long idleMs = ex.upstream.timeouts().idleMs();
    idleDeadline = ex.ctx.deadlines().schedule(idleMs, () -> checkIdle(idleMs));
  }

  private void checkIdle(long idleMs) {
    idleDeadline = null;
    if (ex.done || finished) {
      return;
    }
    if (System.nanoTime() - lastActivity < idleMs * 1_000_000L) {
      idleDeadline = ex.ctx.deadlines().schedule(idleMs, () -> checkIdle(idleMs));
    } else if (ex.hasBody && !ex.req.isEnded() && !heldByTarget && !ex.responded) {
      ex.clientBroke(ProxyError.REQUEST_TIMEOUT, "request body stalled: nothing received for " + idleMs + " ms");
    } else if (!ex.responded) {
      expire("nothing sent or received for " + idleMs + " ms");
    } else {
      target.meters().failures.increment();
      upstreamBroke();
    }
  }

  /**
   * The client's side of a request body (proxy.body_timeout_ms and proxy.body_min_rate, like nginx's
   * client_body_timeout): a silence longer than the timeout, or an average rate below the minimum once the
   * timeout has passed, ends the request with 408. Time the target kept the body waiting does not count.
   */
  private void armBodyDeadline() {
    long ms = ex.ctx.bodyTimeoutMs();
    bodyDeadline = ex.ctx.deadlines().schedule(ms, () -> checkBody(ms));
  }

  private void checkBody(long ms) {
    bodyDeadline = null;
    if (ex.done || finished || ex.req.isEnded()) {
      return;
    }
    long now = System.nanoTime();
    if (!heldByTarget && now - lastBodyRead >= ms * 1_000_000L) {
      ex.clientBroke(ProxyError.REQUEST_TIMEOUT, "request body stalled: nothing received for " + ms + " ms");
      return;
    }
    long minRate = ex.ctx.bodyMinRate();
    long sending = now - bodySince - heldNanos;
    if (minRate > 0 && !heldByTarget && sending >= ms * 1_000_000L) {
      long rate = ex.bodyBytes * 1_000_000_000L / Math.max(1, sending);
      if (rate < minRate) {
        ex.clientBroke(ProxyError.REQUEST_TIMEOUT, "request body too slow: " + rate
            + " bytes/s, below proxy.body_min_rate " + minRate);
        return;
      }
    }
    bodyDeadline = ex.ctx.deadlines().schedule(ms, () -> checkBody(ms));
  }

  /** The read timeout runs from the last byte sent to the first byte of the answer. */
  private void armReadTimeout() {
    ex.sentNanos = System.nanoTime();
    if (!ex.responded && !ex.done && !finished) {
      long readMs = ex.upstream.timeouts().readMs();
      readDeadline = ex.ctx.deadlines().schedule(readMs, () -> expire("no response within " + readMs + " ms"));
    }
  }

  private void expire(String why) {
    if (!ex.responded && !finished) {
      timedOut = true;
      out.reset(0, new TimeoutException(why));
    }
  }

  private void cancelTimeouts() {
    if (bodyDeadline != null) {
      bodyDeadline.cancel();
      bodyDeadline = null;
    }
    if (idleDeadline != null) {
      idleDeadline.cancel();
      idleDeadline = null;
    }
    if (readDeadline != null) {
      readDeadline.cancel();
      readDeadline = null;
    }
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
    boolean closed = cause instanceof HttpClosedException
        || (cause instanceof IOException && !(cause instanceof ConnectException));
    if (closed && reused && !bodyStarted && !timeout) {
      // The target closed a pooled connection just as we picked it: nothing was processed, try a fresh one.
      ex.retryFresh();
      return;
    }
    targetFailed();
    if (ex.replayable() && ex.mayRetry()) {
      ex.retryAfterBackoff(target);
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
    if (tlsFailure(cause)) {
      LOG.warn("TLS to a target failed: {}", why, ex.ids(), kv("route", ex.route.name()),
          kv("service", ex.upstream.name()), kv("target", target.address()));
    }
  }

  private void answered(HttpClientResponse answer) {
    if (span != null) {
      span.end(answer.statusCode()); // tracing hook
    }
    if (readDeadline != null) {
      readDeadline.cancel();
      readDeadline = null;
    }
    if (ex.done || finished) {
      release();
      out.reset();
      return;
    }
    int status = answer.statusCode();
    if (status == 502 || status == 503 || status == 504) {
      targetFailed();
      if (ex.replayable() && ex.mayRetry()) {
        // Drain the error body so the connection goes back to the pool, then try again.
        cancelTimeouts();
        finished = true;
        answer.handler(b -> { });
        answer.end().onComplete(v -> release());
        ex.retryAfterBackoff(target);
        return;
      }
    } else {
      target.breaker().onSuccess();
    }
    relay(answer, status);
  }

  /** Streams the answer to the client: head first (with the response phase), then the body as it comes. */
  private void relay(HttpClientResponse answer, int status) {
    ex.responded = true;
    answerLength = Forwarding.responseHead(ex.req, answer, ex.resp, ex.requestId());
    PolicyCall.Capture capture = ex.capture(status, ex.resp.headers());
    ex.onResponse(status, ex.resp.headers());
    answer.handler(chunk -> {
      lastActivity = System.nanoTime();
      if (capture != null) {
        capture.chunk(chunk);
      }
      ex.answerBytes += chunk.length();
      if (ex.answerBytes == answerLength) {
        // The chunk that completes a declared length: the end follows at once, and goes out with it (for a
        // short answer, head and body in one write instead of two).
        lastChunk = chunk;
        return;
      }
      ex.resp.write(chunk);
      if (ex.resp.writeQueueFull()) {
        answer.pause();
        ex.resp.drainHandler(v -> answer.resume());
      }
    });
    answer.exceptionHandler(err -> upstreamBroke());
    answer.endHandler(v -> {
      if (ex.done || finished) {
        return;
      }
      ex.done = true;
      finish();
      if (!answer.trailers().isEmpty()) {
        ex.resp.trailers().addAll(answer.trailers()); // gRPC's grpc-status and grpc-message travel here
      }
      ex.ctx.reserveAccessStamp(ex); // recorded in the callback below, which always runs
      (lastChunk != null ? ex.resp.end(lastChunk) : ex.resp.end()).onComplete(ar -> {
        if (ar.succeeded() && capture != null) {
          capture.end();
        }
        ex.record(ar.succeeded() ? status : Exchange.CLIENT_CLOSED);
      });
    });
  }

  /** The answer broke off mid-body: closing the client connection is the only honest signal left. */
  private void upstreamBroke() {
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
      out.reset();
    }
    ex.resp.reset();
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
      out.reset();
    }
  }

  /** This attempt is over: no timeout applies, and the target's in-flight count goes down once. */
  private void finish() {
    if (span != null) {
      span.end(0); // tracing hook (no-op once answered)
    }
    if (!finished) {
      finished = true;
      cancelTimeouts();
      release();
    }
  }

  private boolean released;
  /** Tracing (issue 16): this attempt's span, or null while tracing is off. */
  private io.sluice.tracing.RequestTrace.Attempt span;

  /** The target no longer carries this request (load balancing counts, half-open breaker probes). */
  private void release() {
    if (!released) {
      released = true;
      target.finished();
      target.breaker().release();
      closeFresh();
    }
  }

  /** A full pool's queue, or a wait in it that outlasted the connect timeout (Vert.x's own messages). */
  private static boolean poolWait(Throwable cause) {
    return cause instanceof io.vertx.core.http.ConnectionPoolTooBusyException
        || cause instanceof TimeoutException && String.valueOf(cause.getMessage()).contains("getting a connection");
  }

  /** A failed TLS handshake (a certificate not trusted, a name that does not match, no common protocol). */
  private static boolean tlsFailure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException) {
        return true;
      }
    }
    return false;
  }

  /** The deepest message of a failure (a TLS handshake's reason is in its cause). */
  private static String reason(Throwable cause) {
    String why = String.valueOf(cause.getMessage());
    for (Throwable t = cause.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        why = t.getMessage();
      }
    }
    return why.length() > 300 ? why.substring(0, 300) : why;
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
