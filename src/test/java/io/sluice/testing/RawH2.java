package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** HTTP/2 written and read as raw frames, for what no well-behaved client sends (header blocks trickled, cut). */
public final class RawH2 {

  public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  public static final int HEADERS = 1;
  public static final int RST_STREAM = 3;
  public static final int SETTINGS = 4;
  public static final int GOAWAY = 7;
  public static final int CONTINUATION = 9;
  /** Flags. */
  public static final int END_STREAM = 1;
  public static final int END_HEADERS = 4;

  private RawH2() {}

  /** One frame read: its type, flags, stream and payload. */
  public record Frame(int type, int flags, int stream, byte[] payload) {

    /** A GOAWAY's error code. */
    public int errorCode() {
      return java.nio.ByteBuffer.wrap(payload, 4, 4).getInt();
    }
  }

  public static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
    int len = payload.length;
    out.write(new byte[] {(byte) (len >>> 16), (byte) (len >>> 8), (byte) len, (byte) type, (byte) flags,
        (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
    out.write(payload);
    out.flush();
  }

  /** The preface and an empty SETTINGS. */
  public static void open(OutputStream out) throws IOException {
    out.write(PREFACE);
    frame(out, SETTINGS, 0, 0, new byte[0]);
  }

  public static Frame read(DataInputStream in) throws IOException {
    int len = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
    int type = in.readUnsignedByte();
    int flags = in.readUnsignedByte();
    int id = in.readInt() & 0x7fffffff;
    return new Frame(type, flags, id, in.readNBytes(len));
  }

  /** Header fields as HPACK literals without indexing, no Huffman: name, value, name, value... */
  public static byte[] block(String... fields) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < fields.length; i += 2) {
      b.write(0);
      string(b, fields[i]);
      string(b, fields[i + 1]);
    }
    return b.toByteArray();
  }

  private static void string(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
    int value = bytes.length;
    if (value < 127) {
      b.write(value);
    } else {
      b.write(127);
      value -= 127;
      while (value >= 128) {
        b.write((value & 0x7f) | 0x80);
        value >>>= 7;
      }
      b.write(value);
    }
    b.write(bytes, 0, bytes.length);
  }
}
