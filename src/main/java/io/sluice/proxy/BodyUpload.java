package io.sluice.proxy;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;

/**
 * The request body on its way to the target, for one {@link Attempt}: streamed chunk by chunk and never held
 * whole, the client paused while the target cannot take more, cut off at the body size limit, and timed on
 * the client's side (proxy.body_timeout_ms and proxy.body_min_rate, like nginx's client_body_timeout). It
 * keeps the time the target held the body waiting, because that silence is never the client's fault.
 *
 * <p>It is itself the chunk handler and the body deadline's task: it replaces the lambda the attempt
 * allocated for the chunks, and re-arming the deadline allocates nothing beyond the deadline itself.
 */
final class BodyUpload implements Handler<Buffer>, Runnable {

  private final Exchange ex;
  private final Attempt attempt;
  private final HttpClientRequest out;
  /** proxy.body_timeout_ms, read when the body starts. */
  private long timeoutMs;
  /** A byte of the body has left: the request can no longer be sent again. */
  private boolean started;
  /** The request is paused because the target cannot take more yet (its fault, not the client's, if it stalls). */
  private boolean heldByTarget;
  /** The body's deadline, when it started streaming, the last read from the client, and the time the target
   *  held it paused. */
  private Deadlines.Deadline deadline;
  private long since;
  private long lastRead;
  private long heldNanos;
  /**
   * An HTTP/2 client's chunk that completed the declared Content-Length, kept until the client's END_STREAM: an
   * HTTP/1.x target takes a body of the declared length as the whole request and would act on it, while DATA past
   * that length, still to come, makes the client's request malformed (RFC 9113 8.1.1: reset, never completed). Null
   * otherwise.
   */
  private Buffer lastHeld;
  /** The client's body is framed by its stream's end, against a declared length: see {@link #lastHeld}. */
  private boolean holdLast;

  BodyUpload(Exchange ex, Attempt attempt, HttpClientRequest out) {
    this.ex = ex;
    this.attempt = attempt;
    this.out = out;
  }

  /** Declares the body's framing, arms its deadline and lets the client's bytes flow. */
  void start() {
    if (ex.contentLength >= 0) {
      out.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(ex.contentLength));
    } else {
      out.setChunked(true);
    }
    if (attempt.http2()) {
      // The head leaves now, not with the first chunk: the stream exists from here on, so whatever ends the attempt
      // resets a stream the target knows (see UpstreamResets). HTTP/1.1 keeps head and first chunk in one write.
      out.sendHead();
      ex.headSentNanos = System.nanoTime();
    }
    since = System.nanoTime();
    lastRead = since;
    timeoutMs = ex.ctx.bodyTimeoutMs();
    deadline = ex.ctx.deadlines().schedule(timeoutMs, this);
    holdLast = ex.contentLength > 0 && ex.req.version() == HttpVersion.HTTP_2;
    ex.req.handler(this);
    ex.req.endHandler(v -> {
      cancel();
      if (!ex.done && !attempt.finished()) {
        Buffer last = lastHeld;
        lastHeld = null;
        (last == null ? out.end() : out.end(last)).onSuccess(x -> attempt.sent());
      }
    });
    ex.req.resume();
  }

  boolean started() {
    return started;
  }

  boolean heldByTarget() {
    return heldByTarget;
  }

  /** One chunk from the client: counted against the limit, written, and the client paused if the target is full. */
  @Override
  public void handle(Buffer chunk) {
    started = true;
    ex.bodyBytes += chunk.length();
    long now = System.nanoTime();
    attempt.active(now);
    lastRead = now;
    if (ex.maxBody > 0 && ex.bodyBytes > ex.maxBody) {
      ex.req.handler(null);
      ex.fail(ProxyError.BODY_TOO_LARGE, "request body exceeds " + ex.maxBody + " bytes", true);
      return;
    }
    if (ex.headSentNanos == 0) {
      ex.headSentNanos = now; // HTTP/1.1: the head leaves with the first chunk
    }
    if (holdLast && ex.bodyBytes >= ex.contentLength) {
      // The declared length is reached: the stream's end, or DATA past it (the client's request reset, the target's
      // never completed), decides. Whatever else the client sends is refused by its HTTP/2 decoder.
      lastHeld = lastHeld == null ? chunk : lastHeld.appendBuffer(chunk);
      return;
    }
    out.write(chunk);
    if (out.writeQueueFull()) {
      ex.req.pause();
      heldByTarget = true;
      long held = System.nanoTime();
      out.drainHandler(v -> {
        heldByTarget = false;
        long drained = System.nanoTime();
        heldNanos += drained - held;
        lastRead = drained; // the silence while the target could not take more is not the client's
        ex.req.resume();
      });
    }
  }

  /**
   * The body's deadline passed: a silence longer than the timeout, or an average rate below the minimum once
   * the timeout has passed, ends the request with 408; otherwise it re-arms. Time the target kept the body
   * waiting does not count.
   */
  @Override
  public void run() {
    deadline = null;
    if (ex.done || attempt.finished() || ex.req.isEnded()) {
      return;
    }
    long now = System.nanoTime();
    if (!heldByTarget && now - lastRead >= timeoutMs * 1_000_000L) {
      ex.clientTooSlow("request body stalled: nothing received for " + timeoutMs + " ms");
      return;
    }
    long minRate = ex.ctx.bodyMinRate();
    long sending = now - since - heldNanos;
    // A gRPC call the target answered is a conversation: its messages come at the application's pace, and only a
    // silence (above) ends it.
    boolean conversation = ex.responded && Grpc.is(ex.req);
    if (minRate > 0 && !heldByTarget && !conversation && sending >= timeoutMs * 1_000_000L) {
      long rate = ex.bodyBytes * 1_000_000_000L / Math.max(1, sending);
      if (rate < minRate) {
        ex.clientTooSlow("request body too slow: " + rate + " bytes/s, below proxy.body_min_rate " + minRate);
        return;
      }
    }
    deadline = ex.ctx.deadlines().schedule(timeoutMs, this);
  }

  /** The body ended or the attempt did: its deadline no longer applies. */
  void cancel() {
    if (deadline != null) {
      deadline.cancel();
      deadline = null;
    }
  }
}
