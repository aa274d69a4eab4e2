package io.sluice.tracing;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * W3C trace and span ids in lower-case hex, for every traced request: the traceparent to the upstream is written
 * from the ids' longs, sampled or not, without the SDK's span, context and propagator (see {@link RecordedSpan}
 * for what those cost). A trace id is held as its two halves and written as text only where it is read: the traceparent
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

  /** The 16 hex characters of the span id {@code span}. */
  static String spanId(long span) {
    byte[] id = new byte[16];
    hex(span, id, 0);
    return new String(id, StandardCharsets.ISO_8859_1);
  }

  /** {@code value}, or 1 if it is zero: W3C ids are never all zeros. */
  static long nonZero(long value) {
    return value == 0 ? 1 : value;
  }

  /**
   * The traceparent of an attempt in trace {@code high}{@code low}: {@code 00-TRACE-SPAN-FLAGS}, its span id
   * {@code span} (non-zero), flags 01 if {@code sampled} else 00, as the header value's bytes.
   */
  static AsciiString traceparent(long high, long low, long span, boolean sampled) {
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
    header[54] = sampled ? (byte) '1' : (byte) '0';
    return new AsciiString(header, false);
  }

  private static void hex(long value, byte[] into, int at) {
    for (int i = 15; i >= 0; i--) {
      into[at + i] = HEX[(int) (value & 0xf)];
      value >>>= 4;
    }
  }
}
