package io.sluice.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One proxied request, as the tenant owning its API sees it in the stream (field names are the CONTRACT
 * of ARCHITECTURE.md). Built on the event loop from values the exchange already has; encoded to JSON
 * later, off the hot path, by {@link AccessExporter}.
 */
public record AccessRecord(String id, long tsMillis, String tenant, String node, String route, String service,
                           String consumer, String method, String path, int status, double latencyMs,
                           double upstreamMs, long requestBytes, long responseBytes, String clientIp,
                           String requestId, String upstream) {

  private static final JsonFactory JSON = new JsonFactory();

  /** The record as a JSON object (UTF-8), {@code ts} in ISO-8601 UTC with milliseconds. */
  public byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(384);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("id", id);
      g.writeStringField("ts", Instant.ofEpochMilli(tsMillis).toString());
      g.writeStringField("tenant", tenant);
      g.writeStringField("node", node);
      g.writeStringField("route", route);
      g.writeStringField("service", service);
      g.writeStringField("consumer", consumer);
      g.writeStringField("method", method);
      g.writeStringField("path", path);
      g.writeNumberField("status", status);
      g.writeNumberField("latency_ms", Math.round(latencyMs * 1000) / 1000.0);
      g.writeNumberField("upstream_ms", Math.round(upstreamMs * 1000) / 1000.0);
      g.writeNumberField("request_bytes", requestBytes);
      g.writeNumberField("response_bytes", responseBytes);
      g.writeStringField("client_ip", clientIp);
      g.writeStringField("request_id", requestId);
      g.writeStringField("upstream", upstream);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
