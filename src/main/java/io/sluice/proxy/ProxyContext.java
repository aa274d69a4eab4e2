package io.sluice.proxy;

import io.sluice.route.LiveRoutes;
import io.sluice.settings.NodeSettings;
import io.sluice.tls.TlsOptions;
import io.sluice.stream.export.AccessLog;
import io.sluice.stream.export.AccessRecord;
import io.sluice.upstream.Upstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What the requests of one event loop share: the upstream pools of that loop, the live routes, the limits and
 * timeouts. Confined to its event loop, so the connection bookkeeping needs no lock.
 */
final class ProxyContext {

  private final Vertx vertx;
  private final Pools pools;
  private final LiveRoutes routes;
  private final NodeSettings.Proxy settings;
  private final String nodeName;
  /** Connections this loop has already sent a request on: a second use means a reused (pooled) connection. */
  private final Map<HttpConnection, Boolean> seen = new WeakHashMap<>();
  /** The resets this loop sent on its HTTP/2 connections to targets (a connection is retired after enough). */
  private final UpstreamResets resets;
  private final Deadlines deadlines;
  /** Where finished requests' access records go (this loop's buffer), or null when export is off. */
  private final AccessLog accessLog;
  private final WebSocketBridge webSockets;
  private final Unrouted unrouted;

  /** {@code certificates}: where services' client certificates are looked up (null: none presented). */
  ProxyContext(Vertx vertx, NodeSettings settings, LiveRoutes routes, AccessLog accessLog,
               io.micrometer.core.instrument.MeterRegistry registry, io.sluice.tls.LiveCertificates certificates) {
    this.accessLog = accessLog;
    this.unrouted = new Unrouted(registry, accessLog, settings.stream().defaultTenant(), settings.nodeName());
    this.vertx = vertx;
    this.resets = new UpstreamResets(vertx);
    this.routes = routes;
    this.settings = settings.proxy();
    this.nodeName = settings.nodeName();
    this.deadlines = new Deadlines(vertx);
    this.pools = new Pools(vertx, settings.upstream(), routes, deadlines, certificates,
        TlsOptions.engine(settings.tls()));
    this.webSockets = new WebSocketBridge(this);
  }

  Vertx vertx() { return vertx; }

  /** The upstream pools of this loop (one client per service). */
  Pools pools() { return pools; }

  LiveRoutes routes() { return routes; }

  long maxBodyBytes() { return settings.maxBodyBytes(); }

  /** proxy.body_timeout_ms: the longest silence between two reads of a request body. */
  long bodyTimeoutMs() { return settings.bodyTimeoutMs(); }

  /** proxy.body_min_rate: the slowest average request body (bytes/s) once body_timeout_ms passed; 0 off. */
  long bodyMinRate() { return settings.bodyMinRate(); }

  boolean mergeSlashes() { return settings.mergeSlashes(); }

  int maxInitialLineBytes() { return settings.maxInitialLineBytes(); }

  int websocketMaxFrameBytes() { return settings.websocketMaxFrameBytes(); }

  int maxHeaderBytes() { return settings.maxHeaderBytes(); }

  int maxHeaders() { return settings.maxHeaders(); }

  boolean pathSemicolons() { return settings.allowPathSemicolons(); }

  String nodeName() { return nodeName; }

  /**
   * The access record of a finished request, into this loop's buffer; nothing (the record not even built)
   * when the access stream is off. {@code upstream} is null when nothing was sent to a target (its head with part of a body is something).
   */
  void recordAccess(Exchange ex, int status, long elapsedNanos, long upstreamNanos) {
    if (accessLog == null) {
      return;
    }
    recordAccess(ex, status, elapsedNanos, upstreamNanos, ex.bodyBytes, ex.resp.bytesWritten(), null);
  }

  /**
   * The record of a finished exchange with its byte counts given: for a WebSocket session, the payload bytes
   * each way and its {@code frames}.
   */
  void recordAccess(Exchange ex, int status, long elapsedNanos, long upstreamNanos, long requestBytes,
                    long responseBytes, AccessRecord.Frames frames) {
    if (accessLog == null) {
      return;
    }
    HttpServerRequest req = ex.req;
    Upstream service = ex.upstream;
    AccessRecord record = new AccessRecord(ProxyHandler.newRequestId(), System.currentTimeMillis(), service.tenant(),
        nodeName, ex.route.name(), service.name(), ex.consumer() == null ? null : ex.consumer().username(),
        req.method().name(), ex.path(), status, elapsedNanos / 1e6, upstreamNanos / 1e6, requestBytes,
        responseBytes, req.remoteAddress() == null ? null : req.remoteAddress().host(), ex.requestId(),
        ex.sentNanos > 0 || ex.headSentNanos > 0 || ex.answerBytes > 0 ? ex.targetAddress : null, service.tenantId(), frames, ex.error,
        ex.clientCertSubject(), ex.trace == null ? null : ex.trace.traceId()); // tracing hook: trace_id
    accessLog.record(record, ex.accessStamp);
  }

  /**
   * A completion stamp for {@code ex}, taken as its answer's last write starts, for the record made once the
   * write has completed (so the stream keeps the order in which clients got their answers). Nothing when the
   * stream is off.
   */
  void reserveAccessStamp(Exchange ex) {
    if (accessLog != null) {
      ex.accessStamp = accessLog.reserve();
    }
  }

  /** Requests answered before a route matched: counted, and recorded under the default tenant if any. */
  Unrouted unrouted() {
    return unrouted;
  }

  /** The WebSocket bridge of this event loop (its client is made on first use). */
  WebSocketBridge webSockets() {
    return webSockets;
  }

  /** The request timeouts of this event loop. */
  Deadlines deadlines() { return deadlines; }

  /**
   * X-Forwarded-Host for {@code authority}: host, or host:port. Clients of one loop mostly send the same Host, so
   * the last value is kept and reused instead of being concatenated again for every request.
   */
  String forwardedHost(HostAndPort authority) {
    String host = authority.host();
    int port = authority.port();
    if (port != lastForwardedPort || !host.equals(lastForwardedHostName)) {
      lastForwardedHostName = host;
      lastForwardedPort = port;
      lastForwardedHost = port > 0 ? host + ":" + port : host;
    }
    return lastForwardedHost;
  }

  private String lastForwardedHostName = "";
  private int lastForwardedPort = Integer.MIN_VALUE;
  private String lastForwardedHost;

  /** Where an attempt resets its upstream request (counted on HTTP/2 connections). */
  UpstreamResets resets() { return resets; }

  /** Records a request on {@code conn}; true when the connection had carried one before. */
  boolean markUse(HttpConnection conn) {
    return seen.put(conn, Boolean.TRUE) != null;
  }
}
