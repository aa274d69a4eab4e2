package io.sluice.tracing;

import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads the spans of an OTLP/HTTP trace export (an {@code ExportTraceServiceRequest} in protobuf, as Sluice's
 * exporter sends it) into one JSON object per span: ids in hex, name, kind, the service of its resource,
 * start and duration, attributes and status. Only the fields a person reading a trace needs; the others are
 * skipped by their wire type. It lets {@code sluice spans} show a trace without a collector, and tests check
 * what really went over the wire. Field numbers are those of opentelemetry-proto's trace/v1 and common/v1.
 */
public final class OtlpSpans {

  private static final HexFormat HEX = HexFormat.of();
  private static final String[] KINDS = {"unspecified", "internal", "server", "client", "producer", "consumer"};
  private static final String[] STATUSES = {"unset", "ok", "error"};

  private OtlpSpans() {}

  /** The spans of one export request body; a malformed body throws IllegalArgumentException. */
  public static List<JsonObject> read(byte[] body) {
    List<JsonObject> spans = new ArrayList<>();
    try {
      Reader request = new Reader(ByteBuffer.wrap(body));
      while (request.more()) {
        if (request.tag() == 1) { // resource_spans
          resourceSpans(request.message(), spans);
        } else {
          request.skip();
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not an OTLP trace export: " + e, e);
    }
    return spans;
  }

  private static void resourceSpans(Reader r, List<JsonObject> out) {
    String service = null;
    List<Reader> scopes = new ArrayList<>();
    while (r.more()) {
      switch (r.tag()) {
        case 1 -> { // resource: its attributes carry service.name
          Reader resource = r.message();
          while (resource.more()) {
            if (resource.tag() == 1) {
              Object[] kv = keyValue(resource.message());
              if ("service.name".equals(kv[0])) {
                service = String.valueOf(kv[1]);
              }
            } else {
              resource.skip();
            }
          }
        }
        case 2 -> scopes.add(r.message()); // scope_spans
        default -> r.skip();
      }
    }
    for (Reader scope : scopes) {
      while (scope.more()) {
        if (scope.tag() == 2) {
          out.add(span(scope.message(), service));
        } else {
          scope.skip();
        }
      }
    }
  }

  private static JsonObject span(Reader r, String service) {
    JsonObject span = new JsonObject().put("status", "unset");
    JsonObject attributes = new JsonObject();
    long start = 0;
    long end = 0;
    while (r.more()) {
      switch (r.tag()) {
        case 1 -> span.put("trace_id", HEX.formatHex(r.bytes()));
        case 2 -> span.put("span_id", HEX.formatHex(r.bytes()));
        case 4 -> span.put("parent_span_id", HEX.formatHex(r.bytes()));
        case 5 -> span.put("name", r.string());
        case 6 -> span.put("kind", name(KINDS, r.varint()));
        case 7 -> start = r.fixed64();
        case 8 -> end = r.fixed64();
        case 9 -> {
          Object[] kv = keyValue(r.message());
          attributes.put((String) kv[0], kv[1]);
        }
        case 15 -> {
          Reader status = r.message();
          while (status.more()) {
            if (status.tag() == 3) {
              span.put("status", name(STATUSES, status.varint()));
            } else {
              status.skip();
            }
          }
        }
        default -> r.skip();
      }
    }
    if (span.getString("parent_span_id", "").isEmpty()) {
      span.remove("parent_span_id"); // a root span: no parent (sent as empty bytes or not at all)
    }
    return span.put("service", service).put("start_unix_nano", start)
        .put("duration_ms", (end - start) / 1_000_000.0).put("attributes", attributes);
  }

  /** A KeyValue: its key and its value (string, bool, int or double; other kinds as null). */
  private static Object[] keyValue(Reader r) {
    String key = null;
    Object value = null;
    while (r.more()) {
      switch (r.tag()) {
        case 1 -> key = r.string();
        case 2 -> {
          Reader any = r.message();
          while (any.more()) {
            switch (any.tag()) {
              case 1 -> value = any.string();
              case 2 -> value = any.varint() != 0;
              case 3 -> value = any.varint();
              case 4 -> value = Double.longBitsToDouble(any.fixed64());
              default -> any.skip();
            }
          }
        }
        default -> r.skip();
      }
    }
    return new Object[] {key, value};
  }

  private static String name(String[] names, long value) {
    return value >= 0 && value < names.length ? names[(int) value] : String.valueOf(value);
  }

  /** The protobuf wire format over one message's bytes. */
  private static final class Reader {
    private final ByteBuffer buf;
    private int wireType;

    Reader(ByteBuffer buf) {
      this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean more() { return buf.hasRemaining(); }

    /** The next field's number (its wire type kept for the read that follows). */
    int tag() {
      long key = varint();
      wireType = (int) (key & 7);
      return (int) (key >>> 3);
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buf.get();
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IllegalStateException("varint longer than 10 bytes");
    }

    long fixed64() { return buf.getLong(); }

    byte[] bytes() {
      byte[] b = new byte[Math.toIntExact(varint())];
      buf.get(b);
      return b;
    }

    String string() { return new String(bytes(), StandardCharsets.UTF_8); }

    Reader message() {
      int length = Math.toIntExact(varint());
      ByteBuffer slice = buf.slice(buf.position(), length);
      buf.position(buf.position() + length);
      return new Reader(slice);
    }

    void skip() {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> buf.position(buf.position() + 8);
        case 2 -> {
          int length = Math.toIntExact(varint()); // before position(): it moves past the length
          buf.position(buf.position() + length);
        }
        case 5 -> buf.position(buf.position() + 4);
        default -> throw new IllegalStateException("wire type " + wireType);
      }
    }
  }
}
