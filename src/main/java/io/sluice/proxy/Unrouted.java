package io.sluice.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.stream.export.AccessLog;
import io.sluice.stream.export.AccessRecord;
import io.vertx.core.http.HttpServerRequest;
import java.util.EnumMap;
import java.util.Map;
import io.sluice.metrics.Meters;

/**
 * Requests answered before any route was matched (404 no route; 400, 413, 414, 431, 505 refused while
 * reading or checking the request): counted by status and code in {@code sluice_proxy_unrouted_total}, and,
 * when {@code stream.default_tenant} names a tenant (by id), recorded in that tenant's access stream (route
 * and service null). Confined to one event loop, like its {@link ProxyContext}.
 */
final class Unrouted {

  private final MeterRegistry registry;
  private final Map<ProxyError, Counter> counters = new EnumMap<>(ProxyError.class);
  private final AccessLog accessLog;
  private final String defaultTenant;
  private final String nodeName;

  Unrouted(MeterRegistry registry, AccessLog accessLog, String defaultTenant, String nodeName) {
    this.registry = registry;
    this.accessLog = accessLog;
    this.defaultTenant = defaultTenant == null || defaultTenant.isBlank() ? null : defaultTenant;
    this.nodeName = nodeName;
  }

  /** Answers {@code req} with {@code error}, counts it, and records it under the default tenant if any. */
  void refuse(HttpServerRequest req, long startNanos, String requestId, String path, ProxyError error,
              String message, boolean close) {
    error.send(req, requestId, message, close);
    counted(req, startNanos, requestId, path, error);
  }

  /**
   * Answers the gRPC call {@code req} with {@code grpcStatus}, where the one of {@code error}'s HTTP status would
   * say something else; counted and recorded as {@code error}.
   */
  void refuseGrpc(HttpServerRequest req, long startNanos, String requestId, ProxyError error, int grpcStatus,
                  String message) {
    Grpc.sendStatus(req, grpcStatus, requestId, message);
    counted(req, startNanos, requestId, null, error);
  }

  private void counted(HttpServerRequest req, long startNanos, String requestId, String path, ProxyError error) {
    count(error);
    if (accessLog != null && defaultTenant != null) {
      accessLog.record(new AccessRecord(ProxyHandler.newRequestId(), System.currentTimeMillis(), null, nodeName,
          null, null, null, req.method() == null ? null : req.method().name(), path != null ? path : req.path(),
          error.status(), (System.nanoTime() - startNanos) / 1e6, 0, 0, req.response().bytesWritten(),
          req.remoteAddress() == null ? null : req.remoteAddress().host(), requestId, null, defaultTenant));
    }
  }

  void count(ProxyError error) {
    Counter c = counters.get(error);
    if (c == null) {
      c = Counter.builder(Meters.PROXY_UNROUTED).tag("status", Integer.toString(error.status()))
          .tag("code", error.code())
          .description("Requests answered before a route was matched: no route, or refused while read or checked")
          .register(registry);
      counters.put(error, c);
    }
    c.increment();
  }
}
