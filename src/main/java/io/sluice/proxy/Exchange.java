package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.handler.codec.http2.Http2Exception;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyChain;
import io.sluice.policy.Verdict;
import io.sluice.route.Route;
import io.sluice.route.RouteMatch;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through the proxy, from its route match to its access record: the one per-request object
 * that the policies (as a {@link PolicyCall}), the forwarder ({@link Attempt}), the WebSocket bridge and the
 * access record read. It runs the route's policies, hands the request to attempts until one answers or the
 * retries are spent, and records the request once, with the status the client actually got. What it answers in
 * its own name (errors, refusals, a policy's answer) is {@link OwnAnswers}. Runs on the event loop of the request;
 * every callback below does too.
 */
final class Exchange extends PolicyCall {

  /** Debug only (nothing is logged per request at info): set io.sluice.proxy to debug through /logging. */
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

  /** Recorded when the client went away before its answer was complete (nginx's convention). */
  static final int CLIENT_CLOSED = 499;

  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  final ProxyContext ctx;
  final HttpServerRequest req;
  final HttpServerResponse resp;
  /** Whether the client came over TLS (the listener it came to). */
  final boolean tls;
  final RouteMatch match;
  final Route route;
  final Upstream upstream;
  final long startNanos;
  /** The request's declared body length, or -1. */
  final long contentLength;
  final boolean hasBody;
  private final boolean upgrade;

  /** What goes upstream, fixed once the policies ran (they may edit the query and lower the body limit). */
  String uri;
  long maxBody;
  String hashKey;

  /** Attempts made so far (the first is 0 retries). */
  int attempts;
  /** The attempt in flight, or null. */
  Attempt current;
  /** The answer's head went to the client: no other attempt may start. */
  boolean responded;
  /** The exchange ended (answered, failed or abandoned); nothing more is sent either way. */
  boolean done;
  /** The access record's completion stamp, reserved as the answer's last write starts (-1: none). */
  long accessStamp = -1;
  /** Request body bytes read from the client. */
  long bodyBytes;
  /** System.nanoTime() when the request's last byte left for the target (0: not yet). */
  long sentNanos;
  /**
   * System.nanoTime() when the current attempt's head left for the target with a body to follow (0: not yet): a
   * request cut off mid-body (a 413, a stalled upload, a client gone) went to that target in part.
   */
  long headSentNanos;
  /** Answer body bytes relayed to the client. */
  long answerBytes;
  /** Why the gateway answered with an error of its own (5xx), for the record; null otherwise. */
  String error;
  /** The target that answered or failed last, for the record. */
  String targetAddress;
  /** Whether the exchange holds one of its route's connection slots (see Pools), and its wait for one. */
  private boolean slotHeld;
  /** Tracing (issue 16): this request's trace, or null while tracing is off. */
  io.sluice.tracing.RequestTrace trace;

  @Override
  public io.sluice.tracing.RequestTrace trace() { return trace; }

  @Override
  public boolean secure() { return tls; }

  @Override
  public boolean hasBody() { return hasBody; }

  /**
   * The fields that tie a log line to this request: request_id, and trace_id while it is traced. Passed as a
   * structured argument of each line, not through the MDC: an event loop interleaves many requests, and a
   * thread-local MDC value would outlive its request's callback and mark another request's lines.
   */
  Object ids() {
    return trace == null ? kv("request_id", requestId())
        : net.logstash.logback.argument.StructuredArguments.entries(
            java.util.Map.of("request_id", requestId(), "trace_id", trace.traceId()));
  }
  Deadlines.Deadline slotDeadline;
  /** The gRPC call's deadline (grpc-timeout), or null. */
  private Deadlines.Deadline callDeadline;

  Exchange(ProxyContext ctx, HttpServerRequest req, boolean tls, RouteMatch match, String requestId, String path,
           long contentLength, boolean hasBody, boolean upgrade, long startNanos) {
    super(req, requestId, path, match.route().name());
    this.ctx = ctx;
    this.req = req;
    this.resp = req.response();
    this.tls = tls;
    this.match = match;
    this.route = match.route();
    this.upstream = route.upstream();
    this.contentLength = contentLength;
    this.hasBody = hasBody;
    this.upgrade = upgrade;
    this.startNanos = startNanos;
  }

  /** Runs the route's policies (none: one null check), then forwards or answers what they decided. */
  void start() {
    trace = io.sluice.tracing.Tracing.begin(req, route.name(), upstream.name()); // tracing hook: null when off
    // A body the decoder could not read (bad chunk size, truncated) is the client's fault, whenever it shows.
    req.exceptionHandler(err -> {
      if (err instanceof Http2Exception.StreamException) {
        // The client's stream broke HTTP/2 itself (a window past 2^31-1, DATA that does not match content-length):
        // Netty resets it with the error's code right after this (FLOW_CONTROL_ERROR, PROTOCOL_ERROR; RFC 9113 6.9.1,
        // 8.1.1). An answer or a reset of ours would go first and take its place (as RST_STREAM NO_ERROR).
        ended(responded ? CLIENT_CLOSED : ProxyError.BAD_REQUEST.status());
      } else {
        clientBroke(ProxyError.BAD_REQUEST, "malformed request body");
      }
    });
    PolicyChain policies = route.policies();
    if (policies == null) {
      forward();
      return;
    }
    Future<Verdict> decided = policies.run(this);
    if (decided.isComplete()) {
      decided(decided);
    } else {
      decided.onComplete(ar -> decided(decided));
    }
  }

  private void decided(Future<Verdict> decided) {
    if (done) {
      return; // the request body broke while a policy was asking a store
    }
    if (resp.closed() || resp.ended()) {
      record(CLIENT_CLOSED); // the client left while a policy was asking a store
      return;
    }
    if (decided.failed()) {
      OwnAnswers.refused(this, decided.cause());
    } else if (decided.result().answers()) {
      OwnAnswers.answer(this, decided.result());
    } else {
      forward();
    }
  }

  /** Forward: a WebSocket upgrade is bridged frame by frame, anything else streamed as HTTP. */
  private void forward() {
    String query = query();
    String upstreamPath = match.upstreamPath(path());
    uri = query == null ? upstreamPath : upstreamPath + "?" + query;
    hashKey = upstream.hashes() ? hashKey() : null;
    if (upgrade) {
      ctx.webSockets().bridge(this);
      return;
    }
    long policyLimit = maxBodyBytes();
    long nodeLimit = ctx.maxBodyBytes();
    maxBody = policyLimit < 0 ? nodeLimit : nodeLimit > 0 ? Math.min(policyLimit, nodeLimit) : policyLimit;
    resp.closeHandler(v -> abandoned());
    if (hasBody && Expectations.continues(req)) {
      resp.writeContinue(); // the policies passed: now the client may send its body (RFC 9110 section 10.1.1)
    }
    long grpcTimeout = Grpc.call(req) ? Grpc.timeoutMs(req) : -1;
    if (grpcTimeout > 0) {
      // The call's deadline (grpc-timeout) bounds the whole exchange, retries and streaming included.
      callDeadline = ctx.deadlines().schedule(grpcTimeout, () -> deadlineExceeded(grpcTimeout));
    }
    if (ctx.pools().admit(this)) {
      slotHeld = true;
      next(null, false);
    }
  }

  /** The gRPC deadline passed: answered DEADLINE_EXCEEDED, or the stream cut if the answer had started. */
  private void deadlineExceeded(long ms) {
    callDeadline = null;
    if (done) {
      return;
    }
    if (!responded) {
      fail(ProxyError.UPSTREAM_TIMEOUT, "deadline exceeded: grpc-timeout of " + ms + " ms passed", false);
      return;
    }
    done = true;
    if (current != null) {
      current.cancel();
    }
    resp.trailers().set("grpc-status", Integer.toString(Grpc.DEADLINE_EXCEEDED))
        .set("grpc-message", "deadline exceeded");
    resp.end();
    record(ProxyError.UPSTREAM_TIMEOUT.status());
  }

  /** A slot of the route freed up for this waiting exchange. */
  void admitted() {
    slotHeld = true;
    next(null, false);
  }

  /** No slot of the route freed up in time: the route is at its share of the service's connections. */
  void slotRefused(long waitedMs) {
    slotDeadline = null;
    fail(ProxyError.UPSTREAM_BUSY, "route " + route.name() + " holds its share of the connections to service "
        + upstream.name() + " (waited " + waitedMs + " ms)", false);
  }

  private String hashKey() {
    if (upstream.hashHeader() != null) {
      String v = req.getHeader(upstream.hashHeader());
      if (v != null) {
        return v;
      }
    }
    return req.remoteAddress() == null ? "" : req.remoteAddress().host();
  }

  /** What the attempt a retry follows failed with: a target's status (502 to 504) or words ("read timeout"...). */
  private Object retryCause;

  /** Starts an attempt on a target other than {@code avoid}; {@code fresh} bypasses the pool. */
  void next(Target avoid, boolean fresh) {
    if (done) {
      return;
    }
    Target target = upstream.balancer().select(hashKey, avoid);
    if (target == null) {
      if (retryCause instanceof String why && why.endsWith("timeout")) {
        // A retry after a timeout found no target left (that timeout may have opened the last one's breaker): the
        // client is told the target did not answer in time, 504, not 503 no_healthy_target (found from outside).
        fail(ProxyError.UPSTREAM_TIMEOUT, "attempt " + attempts + " on " + targetAddress + " failed (" + why
            + ") and no healthy target is left for a retry", false);
        return;
      }
      fail(ProxyError.NO_HEALTHY_TARGET, "no healthy target for service " + upstream.name(), false);
      return;
    }
    targetAddress = target.address();
    headSentNanos = 0;
    current = new Attempt(this, target, attempts);
    current.start(fresh);
  }

  /** Whether a failed attempt may be followed by another: retries left, and nothing unrepeatable sent. */
  boolean mayRetry() {
    return attempts < upstream.retries();
  }

  /** An idempotent request without a body can be sent again after the target answered or timed out. */
  boolean replayable() {
    return !hasBody && IDEMPOTENT.contains(req.method());
  }

  /** Tries again after the service's backoff (full jitter), avoiding the target that failed. */
  void retryAfterBackoff(Target failed, Object status) {
    retryCause = status;
    if (LOG.isDebugEnabled()) {
      // status: the target's answer (502 to 504), or what failed when there was none (connect failed, timeout).
      LOG.debug("retrying after a failed attempt", ids(), kv("route", route.name()),
          kv("target", failed.address()), kv("status", status), kv("attempt", attempts + 1));
    }
    long delay = upstream.backoff().delayMs(attempts);
    attempts++;
    current = null;
    if (delay <= 0) {
      next(failed, false);
    } else {
      ctx.vertx().setTimer(delay, id -> next(failed, false));
    }
  }

  /** The same request again on a new connection (a pooled one was closed under it before any byte left). */
  void retryFresh() {
    attempts++;
    current = null;
    next(null, true);
  }

  /** The client broke its own request: see {@link OwnAnswers#clientBroke}. */
  void clientBroke(ProxyError error, String why) {
    OwnAnswers.clientBroke(this, error, why);
  }

  /** The client's request body stalled or trickled: see {@link OwnAnswers#clientTooSlow}. */
  void clientTooSlow(String why) {
    OwnAnswers.clientTooSlow(this, why);
  }

  /** The client went away: the attempt stops and the request is recorded as not delivered. */
  void abandoned() {
    ended(CLIENT_CLOSED);
  }

  /** The exchange ends without a word of the gateway's to the client: the attempt stops, recorded with {@code status}. */
  private void ended(int status) {
    if (done) {
      return;
    }
    done = true;
    if (current != null) {
      current.cancel();
    }
    if (slotDeadline != null) {
      slotDeadline.cancel();
      slotDeadline = null;
      ctx.pools().leave(this);
    }
    record(status);
  }

  /**
   * Answers this exchange when its request to {@code target} could not be formed (the HTTP or WebSocket client
   * refused a head a policy set from its configuration, say; what the client sent was checked before): 500
   * {@code internal_error}, {@code why} in the log and the access record, nothing counted against the target.
   */
  void headRefused(Target target, String why) {
    LOG.warn("a request could not be formed: {}", why, ids(), kv("route", route.name()),
        kv("target", target.address()));
    fail(ProxyError.INTERNAL_ERROR, "the gateway could not form the request to the target", why, false);
  }

  /** Answers with a gateway error (unless the answer already started) and records it: see {@link OwnAnswers}. */
  void fail(ProxyError error, String message, boolean close) {
    OwnAnswers.fail(this, error, message, close);
  }

  /** As above; {@code reason} goes to the log and the access record, not to the client. */
  void fail(ProxyError error, String message, String reason, boolean close) {
    OwnAnswers.fail(this, error, message, reason, close);
  }

  /**
   * Counts a finished request, once: in the route's meters and in the tenant's access stream. {@code status}
   * is what the client got: the target's status only for an answer delivered whole.
   */
  void record(int status) {
    if (callDeadline != null) {
      callDeadline.cancel();
      callDeadline = null;
    }
    if (slotHeld) {
      slotHeld = false;
      ctx.pools().release(this);
    }
    long now = System.nanoTime();
    long upstreamNanos = sentNanos > 0 ? now - sentNanos : 0;
    route.meters().record(status, now - startNanos, upstreamNanos);
    // The record times a request that never left whole from its head (the meter, "request sent", does not).
    ctx.recordAccess(this, status, now - startNanos,
        sentNanos > 0 || headSentNanos == 0 ? upstreamNanos : now - headSentNanos);
    if (trace != null) {
      trace.end(status); // tracing hook
    }
  }
}
