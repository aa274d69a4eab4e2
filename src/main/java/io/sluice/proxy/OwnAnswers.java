package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.policy.PolicyFailure;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway answers in its own name for an {@link Exchange}: its errors (a target that failed, a client too
 * slow or broken), a policy's refusal or failure, and a policy's own answer (a preflight, a cached answer). Each
 * ends the exchange and records it once. Static, on the exchange's fields: the split from {@link Exchange} adds no
 * allocation per request.
 */
final class OwnAnswers {

  /**
   * The exchange's logger, not one of this class: operators turn these lines on by its name
   * ({@code /logging/io.sluice.proxy.Exchange}), as they did before the split. Debug only, but a policy failure.
   */
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

  private OwnAnswers() {}

  /**
   * The client broke its own request (a body the decoder could not read, an upload that stalled): answered
   * as the client's fault, and never counted against the target.
   */
  static void clientBroke(Exchange ex, ProxyError error, String why) {
    if (ex.done) {
      return;
    }
    if (ex.responded) {
      ex.abandoned();
      return;
    }
    fail(ex, error, why, true);
  }

  /**
   * The client's request body stalled or trickled (408, never the target's fault). Before the answer started it is
   * answered as an error; after, the answer is cut off so that the client learns it, instead of the exchange going
   * quiet: a gRPC call ends with DEADLINE_EXCEEDED in its trailers, another HTTP/2 stream is reset, an HTTP/1.1
   * connection closed.
   */
  static void clientTooSlow(Exchange ex, String why) {
    if (ex.done) {
      return;
    }
    if (!ex.responded) {
      fail(ex, ProxyError.REQUEST_TIMEOUT, why, true);
      return;
    }
    ex.done = true;
    if (ex.current != null) {
      ex.current.cancel();
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("answer cut off: {}", why, ex.ids(), kv("route", ex.route.name()));
    }
    HttpServerResponse resp = ex.resp;
    if (Grpc.is(ex.req)) {
      resp.trailers().set("grpc-status", Integer.toString(Grpc.code(ProxyError.REQUEST_TIMEOUT.status())))
          .set("grpc-message", Grpc.percentEncode(why));
      resp.end().onComplete(ar -> resp.reset(0)); // the rest of the client's stream nobody reads
    } else if (ex.req.version() == HttpVersion.HTTP_2) {
      resp.reset(UpstreamResets.CANCEL);
    } else {
      ex.req.connection().close();
    }
    ex.record(ProxyError.REQUEST_TIMEOUT.status());
  }

  /**
   * Answers with a gateway error (unless the answer already started) and records it. A target's failure is told
   * to the client in general words ({@link #toClient}); {@code message} goes to the log and the access record.
   */
  static void fail(Exchange ex, ProxyError error, String message, boolean close) {
    fail(ex, error, toClient(error, message), message, close);
  }

  /**
   * What a public client is told of a target's failure: never the target's address, the service's name or the
   * operating system's error (as Kong and APISIX do); the detail is in the access record's {@code error} and the
   * debug log. Errors about the client's own request keep their message.
   */
  static String toClient(ProxyError error, String detail) {
    return switch (error) {
      case UPSTREAM_ERROR -> "the upstream could not be reached or did not answer properly";
      case UPSTREAM_TIMEOUT -> "the upstream did not answer in time";
      case UPSTREAM_BUSY -> "the upstream has no connection free: try again later";
      case NO_HEALTHY_TARGET -> "the upstream has no healthy target";
      default -> detail;
    };
  }

  /** As above; {@code reason}, what the client is not told, goes to the log and the access record instead. */
  static void fail(Exchange ex, ProxyError error, String message, String reason, boolean close) {
    if (ex.done) {
      return;
    }
    ex.done = true;
    if (ex.current != null) {
      ex.current.cancel();
    }
    if (ex.hasBody && !ex.req.isEnded()) {
      close = true; // the client may still be sending a body nobody will read: answer, then close
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("answered with an error: {}", reason, ex.ids(), kv("route", ex.route.name()),
          kv("target", ex.targetAddress), kv("status", error.status()));
    }
    if (error.status() >= 500) {
      ex.error = reason;
    }
    ProxyError.head(ex.req, ex.requestId());
    ex.onResponse(error.status(), ex.resp.headers());
    error.sendHeaded(ex.req, ex.requestId(), message, close);
    ex.record(error.status());
  }

  /**
   * A policy refused the request: its answer, with its own headers (WWW-Authenticate, Retry-After), then the
   * response phase of the route's policies, as on any answer (response-transformer may edit them all).
   */
  static void refused(Exchange ex, Throwable cause) {
    Refusal r = cause instanceof Refusal refusal ? refusal : policyError(ex, cause);
    ex.done = true;
    ex.resp.headers().addAll(r.headers());
    ProxyError.head(ex.req, ex.requestId());
    ex.onResponse(r.status(), ex.resp.headers());
    // A body nobody will read: answer, then close, so that its bytes are never taken for a request.
    boolean unread = ex.hasBody && !ex.req.isEnded();
    ProxyError.sendHeaded(ex.req, r.status(), r.code(), ex.requestId(), r.getMessage(), unread, unread);
    ex.record(r.status());
  }

  /** A policy failed (not refused): the client learns which, the log why (the cause's text may be internal). */
  private static Refusal policyError(Exchange ex, Throwable cause) {
    String policy = cause instanceof PolicyFailure f ? f.policy() : null;
    Throwable why = policy != null && cause.getCause() != null ? cause.getCause() : cause;
    LOG.warn("policy {} failed: {}", policy == null ? "(unknown)" : policy, why.toString(), ex.ids(),
        kv("route", ex.route.name()), why);
    return new Refusal(500, "policy_error", policy == null ? "a policy failed" : "the " + policy + " policy failed");
  }

  /** A policy answered in its own name (a preflight, a cached answer): its head, the response phase, its body. */
  static void answer(Exchange ex, Verdict v) {
    ex.done = true;
    HttpServerResponse resp = ex.resp;
    resp.headers().addAll(v.headers()).set(HeaderNames.X_REQUEST_ID, ex.requestId());
    DateHeader.addIfMissing(resp.headers()); // a cache hit's stored Date is not kept: it is answered now
    ex.onResponse(v.status(), resp.headers());
    resp.setStatusCode(v.status());
    if (v.reason() != null && v.status() != 304) { // not on a 304: see Forwarding.responseHead
      resp.setStatusMessage(v.reason());
    }
    if (v.body() != null && ex.req.method() != HttpMethod.HEAD) {
      resp.end(v.body());
    } else {
      resp.end();
    }
    ex.record(v.status());
  }
}
