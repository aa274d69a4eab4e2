package io.sluice.proxy;

import io.sluice.policy.PolicyCall;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * The target's answer on its way to the client, for one {@link Attempt}: the head first (with the policies'
 * response phase), then the body as it comes with backpressure from the client, then the trailers (gRPC's
 * grpc-status and grpc-message travel there) and the access record. Kept apart from the attempt, which
 * decides whether an answer is relayed at all (a 502 to 504 may be retried instead).
 *
 * <p>It is itself the body's chunk handler: it replaces the lambda the attempt allocated for the chunks.
 */
final class AnswerRelay implements Handler<Buffer> {

  private final Exchange ex;
  private final Attempt attempt;
  private final HttpClientResponse answer;
  private final int status;
  /** A policy's copy of the answer (the proxy cache), or null. */
  private PolicyCall.Capture capture;
  /** The answer's declared Content-Length (-1 when it has none), and a chunk held back to go out with the end. */
  private long length = -1;
  private Buffer lastChunk;

  AnswerRelay(Exchange ex, Attempt attempt, HttpClientResponse answer, int status) {
    this.ex = ex;
    this.attempt = attempt;
    this.answer = answer;
    this.status = status;
  }

  /** Sends the head (with the response phase) and streams the body from here on. */
  void start() {
    ex.responded = true;
    length = Forwarding.responseHead(ex.req, answer, ex.resp, ex.requestId());
    capture = ex.capture(status, answer.statusMessage(), ex.resp.headers());
    ex.onResponse(status, ex.resp.headers());
    UpstreamHalfClose.relaying(answer.request().connection());
    answer.handler(this);
    answer.exceptionHandler(err -> attempt.upstreamBroke());
    answer.endHandler(v -> ended());
  }

  /** One chunk of the answer: copied to a capturing policy, written, and the target paused if the client is full. */
  @Override
  public void handle(Buffer chunk) {
    if (chunk.length() == 0) {
      // An empty DATA frame (an HTTP/2 target's END_STREAM after its last bytes): nothing to send, and it must not
      // take the place of the chunk held back below, which it did: that chunk was lost and the answer cut short.
      return;
    }
    attempt.active(System.nanoTime());
    if (lastChunk != null) { // more than the declared length: the held chunk goes first, in order
      ex.resp.write(lastChunk);
      lastChunk = null;
    }
    if (capture != null) {
      capture.chunk(chunk);
    }
    ex.answerBytes += chunk.length();
    if (ex.answerBytes == length) {
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
  }

  private void ended() {
    UpstreamHalfClose.relayed(answer.request().connection());
    if (ex.done || attempt.finished()) {
      return;
    }
    ex.done = true;
    attempt.finish();
    if (!answer.trailers().isEmpty()) {
      ex.resp.trailers().addAll(answer.trailers()); // gRPC's grpc-status and grpc-message travel here
    }
    ex.ctx.reserveAccessStamp(ex); // recorded in the callback below, which always runs
    (lastChunk != null ? ex.resp.end(lastChunk) : ex.resp.end()).onComplete(ar -> {
      if (ar.succeeded() && capture != null) {
        capture.end(answer.trailers());
      }
      ex.record(ar.succeeded() ? status : Exchange.CLIENT_CLOSED);
      if (length == Forwarding.DELIMITED_BY_CLOSE) {
        ex.req.connection().close(); // Vert.x would keep an HTTP/1.0 keep-alive client's connection open
      }
    });
  }
}
