package io.sluice.tracing;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * W3C trace and span ids in lower-case hex, for the requests that are not sampled: they carry a traceparent to
 * the upstream without the SDK building a span (which costs a span builder, attribute maps and a sampler call
 * per request). A trace id is held as its two halves and written as text only where it is read: the traceparent
 * goes out as the header's bytes (no char array, no string to compress), the id's text for a log line or an
 * access record is made when one asks for it.
 */
final class TraceIds {

  private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e',
      'f'};

  private TraceIds() {}

  /** The 32 hex characters of the trace id {@code high}{@code low}. */
  static String traceId(long high, long low) {
    byte[] id = new byte[32];
    hex(high, id, 0);
    hex(low, id, 16);
    return new String(id, StandardCharsets.ISO_8859_1); // Latin-1 decodes by copying the bytes
  }

  /** The first (0) or second (1) half of a 32-hex-character trace id, as a long. */
  static long half(String traceId, int which) {
    return Long.parseUnsignedLong(traceId, which * 16, which * 16 + 16, 16);
  }

  /**
   * The traceparent of an unsampled attempt in trace {@code high}{@code low}: {@code 00-TRACE-SPAN-00}, its span
   * id {@code span} (non-zero), as the header value's bytes.
   */
  static AsciiString unsampledParent(long high, long low, long span) {
    byte[] header = new byte[55];
    header[0] = '0';
    header[1] = '0';
    header[2] = '-';
    hex(high, header, 3);
    hex(low, header, 19);
    header[35] = '-';
    hex(span, header, 36);
    header[52] = '-';
    header[53] = '0';
    header[54] = '0';
    return new AsciiString(header, false);
  }

  private static void hex(long value, byte[] into, int at) {
    for (int i = 15; i >= 0; i--) {
      into[at + i] = HEX[(int) (value & 0xf)];
      value >>>= 4;
    }
  }
}
