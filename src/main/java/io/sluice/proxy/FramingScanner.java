package io.sluice.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Reads the raw bytes of one HTTP/1.x connection just ahead of Netty's decoder, for what Netty reads
 * leniently where a proxy in front of Sluice may read otherwise: a request line with control bytes, a
 * version other than 1.0 or 1.1 (505), obs-fold continuation lines (which Netty joins into the previous
 * header: a folded {@code Transfer-Encoding} then hides in {@code Host}), more header lines than allowed
 * (431), and a chunk size too large for Netty's int (which wraps around: {@code 100000005} reads as 5).
 *
 * <p>It scans a message head up to its blank line, then waits for the decoder to say how the body is framed:
 * a chunked body is followed chunk by chunk (sizes and trailers), any other body is left to the decoder.
 * Offsets are relative to the decoder's reader index, so the cumulation buffer may be compacted between
 * calls. Confined to the connection's event loop.
 */
final class FramingScanner {

  /** A request refused by the scanner: the status it is answered with and why. */
  static final class Refused extends IllegalArgumentException {
    final int status;

    Refused(int status, String message) {
      super(message, null);
      this.status = status;
    }
  }

  private enum Phase { HEAD, WAIT, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER }

  /** How much of a header name a refusal quotes. */
  private static final int MAX_NAMED = 64;
  /** The largest chunk Netty can take (its chunk size is an int). */
  private static final long MAX_CHUNK = Integer.MAX_VALUE;

  private final int maxHeaders;
  private Phase phase = Phase.HEAD;
  /** Bytes past the decoder's reader index already scanned. */
  private int ahead;

  // The head being scanned.
  private int line;
  private int lineLength;
  private boolean sawCr;
  private int spaces;
  private final byte[] version = new byte[9];
  private int versionLength;

  // The chunked body being followed.
  private long chunkSize;
  private boolean sizeDigits;
  private boolean sizeDone;
  private long chunkLeft;

  FramingScanner(int maxHeaders) {
    this.maxHeaders = maxHeaders;
  }

  /**
   * Scans what arrived since the last call, before the decoder reads it; throws {@link Refused} for a
   * request that must not be decoded.
   */
  void scan(ByteBuf buf) {
    if (phase == Phase.WAIT) {
      return;
    }
    int from = buf.readerIndex() + ahead;
    int to = buf.writerIndex();
    int i = from;
    while (i < to && phase != Phase.WAIT) {
      if (phase == Phase.CHUNK_DATA) {
        int n = (int) Math.min(chunkLeft, to - i);
        i += n;
        chunkLeft -= n;
        if (chunkLeft == 0) {
          phase = Phase.CHUNK_END;
        }
        continue;
      }
      byte b = buf.getByte(i++);
      switch (phase) {
        case HEAD -> {
          if (!head(b)) {
            throw fieldByte(buf, i - 1, b);
          }
        }
        case CHUNK_SIZE -> chunkSize(b);
        case CHUNK_END -> {
          if (b == '\n') {
            phase = Phase.CHUNK_SIZE;
          }
        }
        case TRAILER -> trailer(b);
        default -> { }
      }
    }
    ahead = i - buf.readerIndex();
  }

  /** The decoder consumed {@code n} bytes. */
  void consumed(int n) {
    ahead = Math.max(0, ahead - n);
  }

  /** The decoder produced a message head: its body is chunked, or the decoder reads it alone. */
  void headDecoded(boolean chunked) {
    ahead = 0;
    if (chunked) {
      startChunk();
    } else {
      phase = Phase.WAIT;
    }
  }

  /** The decoder finished a message: the next one's head starts at its reader index. */
  void messageDone() {
    ahead = 0;
    phase = Phase.HEAD;
    line = 0;
    lineLength = 0;
    sawCr = false;
    spaces = 0;
    versionLength = 0;
  }

  /** Scans one byte of a head; false for a control byte in a header field (named by {@link #fieldByte}). */
  private boolean head(byte b) {
    if (b == '\n') {
      endHeadLine();
      return true;
    }
    if (sawCr) {
      throw new Refused(400, "bare CR in the request head");
    }
    if (b == '\r') {
      sawCr = true;
      return true;
    }
    if (line == 0) {
      requestLine(b);
    } else if (lineLength == 0 && (b == ' ' || b == '\t')) {
      throw new Refused(400, "obs-fold (a header line starting with whitespace) is not accepted");
    } else if (b >= 0 && b < 0x20 && b != '\t' || b == 0x7f) {
      return false; // b >= 0: bytes 0x80 to 0xFF (negative as a Java byte) are obs-text, allowed in a value
    }
    lineLength++;
    return true;
  }

  /**
   * A control byte (not HTAB) or DEL at {@code at} in a header field: refused as Netty's decoder would refuse it, but
   * with the field named (Netty names only the byte). Read back from the buffer, only when refusing: the line is there
   * from its start, as the decoder consumes whole lines only.
   */
  private static Refused fieldByte(ByteBuf buf, int at, byte b) {
    int start = at;
    while (start > buf.readerIndex() && buf.getByte(start - 1) != '\n') {
      start--;
    }
    int end = start;
    while (end < at && buf.getByte(end) != ':' && end - start < MAX_NAMED) {
      end++;
    }
    String name = buf.toString(start, end - start, java.nio.charset.StandardCharsets.ISO_8859_1);
    return new Refused(400, "control byte 0x" + Integer.toHexString(b & 0xff) + " in header " + name
        + " (only HTAB is allowed in a header)");
  }

  private void endHeadLine() {
    sawCr = false;
    if (line == 0) {
      if (lineLength == 0) {
        return; // empty lines before a request line are skipped (RFC 9112 2.2)
      }
      if (spaces != 2) {
        throw new Refused(400, "malformed request line");
      }
      checkVersion();
    } else if (lineLength == 0) {
      phase = Phase.WAIT; // the head ends; the decoder says how the body is framed
      return;
    } else if (line > maxHeaders) {
      throw new Refused(431, "more than " + maxHeaders + " header fields");
    }
    line++;
    lineLength = 0;
  }

  private void requestLine(byte b) {
    if (b == ' ') {
      if (lineLength == 0 || spaces == 2) {
        throw new Refused(400, "malformed request line");
      }
      spaces++;
      return;
    }
    if (b < 0) {
      throw new Refused(400, "byte 0x" + Integer.toHexString(b & 0xff)
          + " outside ASCII in the request line (percent-encode it)");
    }
    if (b < 0x21 || b == 0x7f) {
      throw new Refused(400, "control or whitespace byte 0x" + Integer.toHexString(b & 0xff)
          + " in the request line");
    }
    if (spaces == 2) {
      if (versionLength == version.length) {
        throw new Refused(400, "malformed HTTP version");
      }
      version[versionLength++] = b;
    }
  }

  private void checkVersion() {
    String v = new String(version, 0, versionLength, java.nio.charset.StandardCharsets.US_ASCII);
    if (v.equals("HTTP/1.1") || v.equals("HTTP/1.0")) {
      return;
    }
    if (v.matches("HTTP/\\d\\.\\d")) {
      throw new Refused(505, "HTTP version " + v + " is not supported");
    }
    throw new Refused(400, "malformed HTTP version");
  }

  private void startChunk() {
    phase = Phase.CHUNK_SIZE;
    chunkSize = 0;
    sizeDigits = false;
    sizeDone = false;
  }

  private void chunkSize(byte b) {
    if (b == '\n') {
      if (sizeDigits && chunkSize == 0) {
        phase = Phase.TRAILER;
        lineLength = 0;
      } else if (sizeDigits) {
        chunkLeft = chunkSize;
        phase = Phase.CHUNK_DATA;
      } // no digits at all: the decoder refuses the line itself
      chunkSize = 0;
      sizeDigits = false;
      sizeDone = false;
      return;
    }
    if (sizeDone) {
      return; // a chunk extension: the decoder checks it
    }
    int digit = Character.digit(b, 16);
    if (digit < 0) {
      sizeDone = sizeDigits || (b != ' ' && b != '\t');
      return;
    }
    sizeDigits = true;
    chunkSize = chunkSize * 16 + digit;
    if (chunkSize > MAX_CHUNK) {
      throw new Refused(400, "chunk size too large");
    }
  }

  private void trailer(byte b) {
    if (b == '\n') {
      if (lineLength == 0) {
        phase = Phase.WAIT; // the body ends; the decoder says so with its last content
        return;
      }
      lineLength = 0;
      return;
    }
    if (b != '\r') {
      if (lineLength == 0 && (b == ' ' || b == '\t')) {
        throw new Refused(400, "obs-fold in the trailer section");
      }
      lineLength++;
    }
  }
}
