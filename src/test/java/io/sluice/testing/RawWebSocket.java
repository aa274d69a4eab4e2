package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A raw-socket WebSocket client for tests that must send frames no well-behaved client would (a reserved bit set,
 * an unmasked frame, a reserved opcode): it upgrades, writes frames exactly as given, and reads the server's frames
 * until the server closes the connection or the deadline passes.
 */
public final class RawWebSocket implements AutoCloseable {

  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;

  /** One frame from the server (servers do not mask). */
  public record Frame(int firstByte, byte[] payload) {
    public int opcode() {
      return firstByte & 0x0F;
    }

    /** A close frame's status code, or -1. */
    public int closeCode() {
      return opcode() == CLOSE && payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
    }

    public String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }
  }

  /** What the server sent after the upgrade, and whether it closed the connection (else the deadline passed). */
  public record Ending(List<Frame> frames, boolean closedByServer) {
    /** The close frame the server sent, or null. */
    public Frame close() {
      return frames.stream().filter(f -> f.opcode() == CLOSE).findFirst().orElse(null);
    }

    public String describe() {
      StringBuilder b = new StringBuilder(closedByServer ? "closed by the server" : "still open at the deadline");
      for (Frame f : frames) {
        b.append("; opcode ").append(f.opcode()).append(f.opcode() == CLOSE ? " " + f.closeCode() + " '"
            + f.closeReason() + "'" : ", " + f.payload().length + " bytes");
      }
      return b.toString();
    }
  }

  private final Socket socket;
  private final ByteArrayOutputStream read = new ByteArrayOutputStream();

  private RawWebSocket(Socket socket) {
    this.socket = socket;
  }

  /** Upgrades {@code path} on 127.0.0.1:{@code port}, with {@code headers} ("Name: value" lines) added. */
  public static RawWebSocket open(int port, String path, String... headers) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(5000);
    RawWebSocket ws = new RawWebSocket(socket);
    StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    for (String h : headers) {
      head.append(h).append("\r\n");
    }
    socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    while (!answer.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before the upgrade's answer ended: " + answer.toString(StandardCharsets.ISO_8859_1));
      }
      answer.write(b);
    }
    String status = answer.toString(StandardCharsets.ISO_8859_1);
    if (!status.startsWith("HTTP/1.1 101 ")) {
      throw new IOException("not upgraded: " + status);
    }
    return ws;
  }

  /**
   * Writes one frame: {@code firstByte} as given (FIN, RSV1-3, opcode), the payload masked by a random key when
   * {@code masked} (as a client must).
   */
  public void send(int firstByte, byte[] payload, boolean masked) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(firstByte);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      f.write(maskBit | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xFF);
    } else {
      f.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        f.write((int) ((long) payload.length >>> shift) & 0xFF);
      }
    }
    byte[] body = payload.clone();
    if (masked) {
      byte[] key = new byte[4];
      ThreadLocalRandom.current().nextBytes(key);
      f.write(key);
      for (int i = 0; i < body.length; i++) {
        body[i] ^= key[i % 4];
      }
    }
    f.write(body);
    try {
      socket.getOutputStream().write(f.toByteArray());
    } catch (SocketException e) {
      // The server may fail the connection before all of a large frame is written: what it sent is still read.
    }
  }

  /** Reads until the server closes the connection or {@code timeoutMs} passes. */
  public Ending readUntilClosed(long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    boolean closed = false;
    byte[] buf = new byte[16384];
    InputStream in = socket.getInputStream();
    while (System.nanoTime() < deadline) {
      socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      try {
        int n = in.read(buf);
        if (n < 0) {
          closed = true;
          break;
        }
        read.write(buf, 0, n);
      } catch (SocketTimeoutException e) {
        break;
      } catch (SocketException e) {
        closed = true; // reset: what was read before it counts
        break;
      }
    }
    return new Ending(frames(read.toByteArray()), closed);
  }

  private static List<Frame> frames(byte[] bytes) {
    List<Frame> frames = new ArrayList<>();
    int i = 0;
    while (i + 2 <= bytes.length) {
      int first = bytes[i] & 0xFF;
      long len = bytes[i + 1] & 0x7F;
      int at = i + 2;
      if (len == 126) {
        if (at + 2 > bytes.length) {
          break;
        }
        len = ((bytes[at] & 0xFF) << 8) | (bytes[at + 1] & 0xFF);
        at += 2;
      } else if (len == 127) {
        if (at + 8 > bytes.length) {
          break;
        }
        len = 0;
        for (int k = 0; k < 8; k++) {
          len = (len << 8) | (bytes[at + k] & 0xFF);
        }
        at += 8;
      }
      if (at + len > bytes.length) {
        break; // cut short
      }
      frames.add(new Frame(first, Arrays.copyOfRange(bytes, at, (int) (at + len))));
      i = (int) (at + len);
    }
    return frames;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
