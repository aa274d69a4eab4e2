package io.sluice.stream.export;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;

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

  /** The date part of {@code ts} for the day last encoded ("2026-11-22T"): one LocalDate a day, not a record. */
  private static volatile DayPrefix today = new DayPrefix(Long.MIN_VALUE, new byte[0]);

  private record DayPrefix(long epochDay, byte[] ascii) {}

  /**
   * The record as a JSON object (UTF-8), {@code ts} in ISO-8601 UTC with milliseconds. Written by hand into one
   * byte array: the fields are fixed, and a JSON generator and a date formatter per record were the largest
   * part of the exporter thread's time (JFR, see bench/RESULTS.md).
   */
  public byte[] toJson() {
    Out o = new Out(320);
    o.raw("{\"id\":").str(id);
    o.raw(",\"ts\":\"").timestamp(tsMillis).raw("\"");
    o.raw(",\"tenant\":").str(tenant);
    if (tenantId != null) {
      o.raw(",\"tenant_id\":").str(tenantId);
    }
    o.raw(",\"node\":").str(node);
    o.raw(",\"route\":").str(route);
    o.raw(",\"service\":").str(service);
    o.raw(",\"consumer\":").str(consumer);
    o.raw(",\"method\":").str(method);
    o.raw(",\"path\":").str(path);
    o.raw(",\"status\":").raw(Integer.toString(status));
    o.raw(",\"latency_ms\":").raw(Double.toString(Math.round(latencyMs * 1000) / 1000.0));
    o.raw(",\"upstream_ms\":").raw(Double.toString(Math.round(upstreamMs * 1000) / 1000.0));
    o.raw(",\"request_bytes\":").raw(Long.toString(requestBytes));
    o.raw(",\"response_bytes\":").raw(Long.toString(responseBytes));
    o.raw(",\"client_ip\":").str(clientIp);
    o.raw(",\"request_id\":").str(requestId);
    o.raw(",\"upstream\":").str(upstream);
    if (frames != null) {
      o.raw(",\"frames_in\":").raw(Long.toString(frames.in()));
      o.raw(",\"frames_out\":").raw(Long.toString(frames.out()));
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
    return o.bytes();
  }

  /**
   * The loss marker written into a tenant's stream in place of records its node dropped (spool full):
   * {@code {"dropped":N,"from_ts":…,"to_ts":…,"node":…}}; readers frame it as a gap, never as a record.
   */
  static byte[] droppedJson(int records, long fromTs, long toTs, String node) {
    Out o = new Out(128);
    o.raw("{\"dropped\":").raw(Integer.toString(records));
    o.raw(",\"from_ts\":\"").timestamp(fromTs).raw("\"");
    o.raw(",\"to_ts\":\"").timestamp(toTs).raw("\"");
    o.raw(",\"node\":").str(node).raw("}");
    return o.bytes();
  }

  /** A growing byte buffer with the two writes JSON needs: ASCII as is, strings quoted and escaped. */
  private static final class Out {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private byte[] b;
    private int n;

    Out(int capacity) {
      b = new byte[capacity];
    }

    private void room(int more) {
      if (n + more > b.length) {
        b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
      }
    }

    /** ASCII text that needs no escaping (field names, numbers). */
    Out raw(String ascii) {
      int len = ascii.length();
      room(len);
      for (int i = 0; i < len; i++) {
        b[n++] = (byte) ascii.charAt(i);
      }
      return this;
    }

    /** A JSON string (or null): quotes, backslashes and control characters escaped, the rest as UTF-8. */
    Out str(String v) {
      if (v == null) {
        return raw("null");
      }
      room(v.length() * 3 + 2);
      b[n++] = '"';
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
          b[n++] = (byte) c;
        } else if (c == '"' || c == '\\') {
          room(2);
          b[n++] = '\\';
          b[n++] = (byte) c;
        } else if (c < 0x20) {
          room(6);
          b[n++] = '\\';
          b[n++] = 'u';
          b[n++] = '0';
          b[n++] = '0';
          b[n++] = HEX[c >> 4];
          b[n++] = HEX[c & 0xf];
        } else if (c < 0x800) {
          b[n++] = (byte) (0xc0 | (c >> 6));
          b[n++] = (byte) (0x80 | (c & 0x3f));
        } else if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, v.charAt(++i));
          room(4);
          b[n++] = (byte) (0xf0 | (cp >> 18));
          b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
          b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
          b[n++] = (byte) (0x80 | (cp & 0x3f));
        } else if (Character.isSurrogate(c)) {
          // A lone surrogate is not text: the replacement character, as a JSON encoder would write for it.
          b[n++] = (byte) 0xef;
          b[n++] = (byte) 0xbf;
          b[n++] = (byte) 0xbd;
        } else {
          b[n++] = (byte) (0xe0 | (c >> 12));
          b[n++] = (byte) (0x80 | ((c >> 6) & 0x3f));
          b[n++] = (byte) (0x80 | (c & 0x3f));
        }
      }
      room(1);
      b[n++] = '"';
      return this;
    }

    /** yyyy-MM-ddTHH:mm:ss.SSSZ in UTC, always with three digits of milliseconds. */
    Out timestamp(long epochMillis) {
      long day = Math.floorDiv(epochMillis, 86_400_000L);
      DayPrefix d = today;
      if (d.epochDay() != day) {
        d = new DayPrefix(day, (LocalDate.ofEpochDay(day) + "T").getBytes(StandardCharsets.US_ASCII));
        today = d;
      }
      room(d.ascii().length + 13);
      System.arraycopy(d.ascii(), 0, b, n, d.ascii().length);
      n += d.ascii().length;
      int ms = (int) Math.floorMod(epochMillis, 86_400_000L);
      two(ms / 3_600_000);
      b[n++] = ':';
      two(ms / 60_000 % 60);
      b[n++] = ':';
      two(ms / 1000 % 60);
      b[n++] = '.';
      int frac = ms % 1000;
      b[n++] = (byte) ('0' + frac / 100);
      b[n++] = (byte) ('0' + frac / 10 % 10);
      b[n++] = (byte) ('0' + frac % 10);
      b[n++] = 'Z';
      return this;
    }

    private void two(int v) {
      b[n++] = (byte) ('0' + v / 10);
      b[n++] = (byte) ('0' + v % 10);
    }

    byte[] bytes() {
      return Arrays.copyOf(b, n);
    }
  }
}
