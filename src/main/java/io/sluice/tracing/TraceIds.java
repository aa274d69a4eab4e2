package io.sluice.tracing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Random W3C trace and span ids in lower-case hex, for the requests that are not sampled: they carry a
 * traceparent to the upstream without the SDK building a span (which costs a span builder, attribute maps and
 * a sampler call per request).
 */
final class TraceIds {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private TraceIds() {}

  /** 32 hex characters, never all zero (W3C: an all-zero id is invalid). */
  static String traceId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[32];
    long high = random.nextLong();
    long low = random.nextLong();
    if (high == 0 && low == 0) {
      low = 1;
    }
    hex(high, id, 0);
    hex(low, id, 16);
    return new String(id);
  }

  /** The traceparent of an unsampled attempt: {@code 00-TRACE-SPAN-00}, its span id fresh and non-zero. */
  static String unsampledParent(String traceId) {
    long span = ThreadLocalRandom.current().nextLong();
    char[] header = new char[55];
    header[0] = '0';
    header[1] = '0';
    header[2] = '-';
    traceId.getChars(0, 32, header, 3);
    header[35] = '-';
    hex(span == 0 ? 1 : span, header, 36);
    header[52] = '-';
    header[53] = '0';
    header[54] = '0';
    return new String(header);
  }

  private static void hex(long value, char[] into, int at) {
    for (int i = 15; i >= 0; i--) {
      into[at + i] = HEX[(int) (value & 0xf)];
      value >>>= 4;
    }
  }
}
