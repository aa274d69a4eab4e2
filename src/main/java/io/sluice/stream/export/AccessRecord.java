package io.sluice.stream.export;


/**
 * One proxied request, as the tenant owning its API sees it in the stream (field names are the CONTRACT
 * of ARCHITECTURE.md). Built on the event loop from values the exchange already has; encoded to JSON
 * later, off the hot path, by {@link AccessExporter}.
 */
public record AccessRecord(String id, long tsMillis, String tenant, String node, String route, String service,
                           String consumer, String method, String path, int status, double latencyMs,
                           double upstreamMs, long requestBytes, long responseBytes, String clientIp,
                           String requestId, String upstream, String tenantId, Frames frames,
                           String error, String clientCert, String traceId) {

  /** The data frames of a WebSocket session, each way (client to target, target to client). */
  public record Frames(long in, long out) {}

  /** A record of a plain HTTP request (no frames). */
  public AccessRecord(String id, long tsMillis, String tenant, String node, String route, String service,
                      String consumer, String method, String path, int status, double latencyMs,
                      double upstreamMs, long requestBytes, long responseBytes, String clientIp,
                      String requestId, String upstream, String tenantId) {
    this(id, tsMillis, tenant, node, route, service, consumer, method, path, status, latencyMs, upstreamMs,
        requestBytes, responseBytes, clientIp, requestId, upstream, tenantId, null, null, null, null);
  }

  /** The record without a tenant id (a file-configured node, where tenants have no id): keyed by name. */
  public AccessRecord(String id, long tsMillis, String tenant, String node, String route, String service,
                      String consumer, String method, String path, int status, double latencyMs,
                      double upstreamMs, long requestBytes, long responseBytes, String clientIp,
                      String requestId, String upstream) {
    this(id, tsMillis, tenant, node, route, service, consumer, method, path, status, latencyMs, upstreamMs,
        requestBytes, responseBytes, clientIp, requestId, upstream, null, null, null, null, null);
  }

  /**
   * What the stream keys the record by (Kafka key, subscriber match): the tenant's id, so that a tenant
   * deleted and created again under the same name never reads the old one's records; the name only where
   * tenants have no id.
   */
  public String streamKey() {
    return tenantId != null ? tenantId : tenant;
  }

  /**
   * The record as a JSON object (UTF-8), {@code ts} in ISO-8601 UTC with milliseconds. Written by hand into one
   * byte array: the fields are fixed, and a JSON generator and a date formatter per record were the largest
   * part of the exporter thread's time (JFR, see bench/RESULTS.md).
   */
  public byte[] toJson() {
    JsonOut o = new JsonOut(512);
    writeJson(o);
    return o.bytes();
  }

  /**
   * {@link #toJson} appended to {@code o} (the exporter encodes a whole chunk into one reused buffer). The fields
   * that repeat from record to record (tenant, node, route, service, consumer, method, client, target) go
   * through {@link JsonOut#same}, one slot each.
   */
  void writeJson(JsonOut o) {
    o.raw("{\"id\":").str(id);
    o.raw(",\"ts\":\"").timestamp(tsMillis).raw("\"");
    o.raw(",\"tenant\":").same(tenant, 0);
    if (tenantId != null) {
      o.raw(",\"tenant_id\":").same(tenantId, 1);
    }
    o.raw(",\"node\":").same(node, 2);
    o.raw(",\"route\":").same(route, 3);
    o.raw(",\"service\":").same(service, 4);
    o.raw(",\"consumer\":").same(consumer, 5);
    o.raw(",\"method\":").same(method, 6);
    o.raw(",\"path\":").str(path);
    o.raw(",\"status\":").num(status);
    o.raw(",\"latency_ms\":").millis(latencyMs);
    o.raw(",\"upstream_ms\":").millis(upstreamMs);
    o.raw(",\"request_bytes\":").num(requestBytes);
    o.raw(",\"response_bytes\":").num(responseBytes);
    o.raw(",\"client_ip\":").same(clientIp, 7);
    o.raw(",\"request_id\":").str(requestId);
    o.raw(",\"upstream\":").same(upstream, 8);
    if (frames != null) {
      o.raw(",\"frames_in\":").num(frames.in());
      o.raw(",\"frames_out\":").num(frames.out());
    }
    if (error != null) {
      o.raw(",\"error\":").str(error); // why the gateway answered in its own name (an upstream TLS failure...)
    }
    if (clientCert != null) {
      // Only on requests whose client certificate the mtls policy verified: its subject.
      o.raw(",\"client_cert\":").str(clientCert);
    }
    if (traceId != null) {
      o.raw(",\"trace_id\":").str(traceId); // only while tracing is on (issue 16)
    }
    o.raw("}");
  }

  /**
   * The loss marker written into a tenant's stream in place of records its node dropped (spool full):
   * {@code {"dropped":N,"from_ts":…,"to_ts":…,"node":…}}; readers frame it as a gap, never as a record.
   */
  static byte[] droppedJson(int records, long fromTs, long toTs, String node) {
    JsonOut o = new JsonOut(128);
    o.raw("{\"dropped\":").num(records);
    o.raw(",\"from_ts\":\"").timestamp(fromTs).raw("\"");
    o.raw(",\"to_ts\":\"").timestamp(toTs).raw("\"");
    o.raw(",\"node\":").str(node).raw("}");
    return o.bytes();
  }
}
