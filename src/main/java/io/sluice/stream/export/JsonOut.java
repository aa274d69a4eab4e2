package io.sluice.stream.export;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;

/**
 * A growing byte buffer with the writes an access record's JSON needs: ASCII as is, strings quoted and
 * escaped, integers, milliseconds with three decimals, ISO-8601 timestamps. The exporter keeps one and
 * writes a whole chunk's records into it ({@link #reset} between chunks), so encoding allocates nothing per
 * record: a byte array per record, a date formatter and {@code Double.toString} were most of the exporter
 * thread's time (JFR, bench/RESULTS.md).
 */
final class JsonOut {

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  /** Below this many thousandths, {@link #millis} writes the digits itself (checked equal to Double.toString). */
  private static final long MILLIS_BY_HAND = 100_000_000L;

  /** The date part of a timestamp for the day last written ("2026-11-22T"): one LocalDate a day, not a record. */
  private static volatile DayPrefix today = new DayPrefix(Long.MIN_VALUE, new byte[0]);

  private record DayPrefix(long epochDay, byte[] ascii) {}

  private byte[] b;
  private int n;
  /** {@link #same}: per slot, the last value (compared by identity) and its encoding. */
  private String[] cachedOf = new String[0];
  private byte[][] cached = new byte[0][];

  JsonOut(int capacity) {
    b = new byte[capacity];
  }

  /** Bytes written. */
  int size() {
    return n;
  }

  /** Forgets what was written (the buffer is kept). */
  void reset() {
    n = 0;
  }

  /** The bytes from {@code from} to the end, copied. */
  byte[] copy(int from) {
    return Arrays.copyOfRange(b, from, n);
  }

  byte[] bytes() {
    return Arrays.copyOf(b, n);
  }

  private void room(int more) {
    if (n + more > b.length) {
      b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
    }
  }

  JsonOut raw(byte[] ascii) {
    room(ascii.length);
    System.arraycopy(ascii, 0, b, n, ascii.length);
    n += ascii.length;
    return this;
  }

  /** ASCII text that needs no escaping (field names). */
  JsonOut raw(String ascii) {
    int len = ascii.length();
    room(len);
    for (int i = 0; i < len; i++) {
      b[n++] = (byte) ascii.charAt(i);
    }
    return this;
  }

  JsonOut raw(char c) {
    room(1);
    b[n++] = (byte) c;
    return this;
  }

  /** A decimal integer. */
  JsonOut num(long v) {
    if (v < 0) {
      if (v == Long.MIN_VALUE) {
        return raw(Long.toString(v));
      }
      raw('-');
      v = -v;
    }
    room(19);
    int digits = 1;
    for (long t = v; t >= 10; t /= 10) {
      digits++;
    }
    for (int i = n + digits - 1; i >= n; i--) {
      b[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    n += digits;
    return this;
  }

  /**
   * Milliseconds rounded to thousandths, as {@code Double.toString(Math.round(ms * 1000) / 1000.0)} writes them
   * ("12.0", "0.004", "3.25"): by hand below 100,000 ms (every value there checked equal), else that call.
   */
  JsonOut millis(double ms) {
    long k = Math.round(ms * 1000);
    if (k < 0 || k >= MILLIS_BY_HAND) {
      return raw(Double.toString(k / 1000.0));
    }
    num(k / 1000);
    room(4);
    b[n++] = '.';
    int f = (int) (k % 1000);
    b[n++] = (byte) ('0' + f / 100);
    if (f % 100 != 0) {
      b[n++] = (byte) ('0' + f / 10 % 10);
      if (f % 10 != 0) {
        b[n++] = (byte) ('0' + f % 10);
      }
    }
    return this;
  }

  /**
   * {@link #str} of a value that repeats from record to record (a tenant, route, node, target or client address):
   * the last value seen in {@code slot} and its encoding are kept, and the same value again is one array copy. By
   * value, not only by instance: a client's address is a new String on every request, and compared by identity it
   * was encoded again, and its encoding copied, for every record (JFR, bench/RESULTS.md 2026-12-07).
   */
  JsonOut same(String v, int slot) {
    if (v == null) {
      return raw("null");
    }
    if (slot >= cachedOf.length) {
      cachedOf = Arrays.copyOf(cachedOf, slot + 1);
      cached = Arrays.copyOf(cached, slot + 1);
    }
    if (cachedOf[slot] != v && !v.equals(cachedOf[slot])) {
      int from = n;
      str(v);
      cached[slot] = Arrays.copyOfRange(b, from, n);
      cachedOf[slot] = v;
      return this;
    }
    return raw(cached[slot]);
  }


  /** A JSON string (or null): quotes, backslashes and control characters escaped, the rest as UTF-8. */
  JsonOut str(String v) {
    if (v == null) {
      return raw("null");
    }
    int len = v.length();
    room(len * 3 + 2);
    b[n++] = '"';
    // The usual case, printable ASCII with nothing to escape, in locals (registers) until the first other char.
    byte[] buf = b;
    int p = n;
    int start = 0;
    while (start < len) {
      char c = v.charAt(start);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        break;
      }
      buf[p++] = (byte) c;
      start++;
    }
    n = p;
    for (int i = start; i < len; i++) {
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
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(v.charAt(i + 1))) {
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
  JsonOut timestamp(long epochMillis) {
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
}
