package io.sluice.proxy;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RST_STREAM frames this loop sends on its HTTP/2 connections to targets. Every client that gives up (a
 * closed tab, a gRPC deadline, a load tool stopping) becomes a reset on a connection that many clients share, and
 * targets built on Netty (Vert.x, grpc-java and most JVM servers) close a connection that sends them more than 200
 * resets within 30 seconds (their defence against "rapid reset", CVE-2023-44487), failing every other request on
 * it. So after {@link #PER_CONNECTION} resets a connection is retired: it is shut down gracefully (a GOAWAY; the
 * pool gives it out no more; the requests in flight on it finish) and the next requests open a fresh one. The
 * requests still in flight can add at most the target's stream limit (100 on Vert.x) to the count. Not counted:
 * the resets Netty itself sends for frames that arrive on a stream already reset (a target's answer crossing the
 * cancellation), which a target counts too; the margin below 200 is for them. A request reset before its head went
 * out retires its connection too (see {@link #reset}). Confined to its event loop.
 */
final class UpstreamResets {

  private static final Logger LOG = LoggerFactory.getLogger(UpstreamResets.class);
  /**
   * For an answer the proxy will not read (the exchange ended as it came, a status it refuses, a drained 5xx before a
   * retry): the reset that follows, ours or the target's, is expected. Without a handler Vert.x logged it at ERROR
   * ("Stream reset: 8" on every gRPC deadline that crossed an answer). One instance: no allocation per request.
   */
  static final Handler<Throwable> UNREAD = err -> LOG.debug("an answer not read ended: {}", err.toString());
  /** Resets sent on one connection before it is retired. */
  static final int PER_CONNECTION = 64;
  /** HTTP/2's error code for a stream its client is no longer interested in (RFC 9113, section 8.7). */
  static final long CANCEL = 8;
  /** RST_STREAM's INTERNAL_ERROR: to a client whose answer broke off (the target failed mid-body). */
  static final long INTERNAL_ERROR = 2;
  /** How long a retired connection's requests in flight may go on (long streams: gRPC, server-sent events). */
  private static final long DRAIN_HOURS = 24;

  private final Map<HttpConnection, int[]> sent = new WeakHashMap<>();
  private final Map<HttpConnection, Boolean> retired = new WeakHashMap<>();
  private final Vertx vertx;

  UpstreamResets(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Resets {@code out} with {@code code} (and {@code cause} for its own failure handlers, or null) and counts it;
   * {@code headSent}: whether the request's head went out (on HTTP/2, its stream exists).
   */
  void reset(HttpClientRequest out, boolean http2, boolean headSent, long code, Throwable cause) {
    if (http2) {
      if (!headSent) {
        // No HEADERS went out, so no RST_STREAM will; but Vert.x (5.0) never gives back the pool's stream slot of
        // a request reset before its head is written. Leaked slots would leave the pool unable to serve: the
        // connection is retired instead, and its slots go with it.
        retire(out.connection());
      } else {
        count(out.connection());
      }
    }
    if (cause == null) {
      out.reset(code);
    } else {
      out.reset(code, cause);
    }
  }

  private void count(HttpConnection conn) {
    if (conn == null) {
      return;
    }
    int[] n = sent.computeIfAbsent(conn, c -> new int[1]);
    if (++n[0] == PER_CONNECTION) {
      retire(conn);
    }
  }

  /**
   * A GOAWAY: the pool gives the connection out no more, and it closes once its requests in flight end. Done on
   * the loop's next turn: the pool may have handed the connection to other waiting requests in this one, and
   * their streams must exist before it closes (a connection with no stream open closes at once).
   */
  private void retire(HttpConnection conn) {
    if (conn != null && retired.put(conn, Boolean.TRUE) == null) {
      vertx.runOnContext(v -> conn.shutdown(DRAIN_HOURS, TimeUnit.HOURS));
    }
  }

  /** Whether this loop retired {@code conn} (a request that failed on it was not the target's doing). */
  boolean retired(HttpConnection conn) {
    return conn != null && retired.containsKey(conn);
  }
}
