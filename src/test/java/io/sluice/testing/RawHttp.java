package io.sluice.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A raw-socket HTTP/1.x client for tests that must send bytes no well-behaved client would: it writes the
 * request exactly as given, then reads until the server closes the connection or the deadline passes, and
 * says which of the two happened.
 */
public final class RawHttp {

  /** How long an exchange may take before the reader gives up; the proxy answers in milliseconds. */
  public static final long DEFAULT_TIMEOUT_MS = 2500;

  private RawHttp() {}

  /** Sends {@code request} (ISO-8859-1, so every char is one byte) and reads the whole answer. */
  public static Answer exchange(int port, String request) {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), DEFAULT_TIMEOUT_MS);
  }

  public static Answer exchange(int port, byte[] request, long timeoutMs) {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeoutMs);
    } catch (IOException e) {
      throw new AssertionError("cannot talk to 127.0.0.1:" + port + ": " + e, e);
    }
    return exchange(socket, request, timeoutMs);
  }

  /** The same on a socket already connected (a TLS one, its handshake done); the socket is closed after. */
  public static Answer exchange(Socket connected, String request) {
    return exchange(connected, request.getBytes(StandardCharsets.ISO_8859_1), DEFAULT_TIMEOUT_MS);
  }

  public static Answer exchange(Socket connected, byte[] request, long timeoutMs) {
    return exchange(connected, request, timeoutMs, false);
  }

  /**
   * Sends {@code request}, then shuts the socket's sending side ({@code shutdown(SHUT_WR)}: a FIN, as {@code nc -N}
   * sends), then reads the whole answer.
   */
  public static Answer exchangeThenShut(int port, String request, long timeoutMs) {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeoutMs);
    } catch (IOException e) {
      throw new AssertionError("cannot talk to 127.0.0.1:" + port + ": " + e, e);
    }
    return exchange(socket, request.getBytes(StandardCharsets.ISO_8859_1), timeoutMs, true);
  }

  private static Answer exchange(Socket connected, byte[] request, long timeoutMs, boolean shutOutput) {
    long start = System.nanoTime();
    long deadline = start + timeoutMs * 1_000_000;
    try (Socket socket = connected) {
      socket.setSoTimeout((int) timeoutMs);
      String writeError = null;
      try {
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        if (shutOutput) {
          socket.shutdownOutput();
        }
      } catch (IOException e) {
        // The server may close while the request is still being written (it refused it early): read what it said.
        writeError = e.toString();
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      Ending ending;
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[8192];
      while (true) {
        long remaining = (deadline - System.nanoTime()) / 1_000_000;
        if (remaining <= 0) {
          ending = Ending.TIMED_OUT;
          break;
        }
        socket.setSoTimeout((int) remaining);
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException e) {
          ending = Ending.TIMED_OUT;
          break;
        } catch (SocketException | javax.net.ssl.SSLException e) { // over TLS a reset may come as an SSLException
          ending = Ending.RESET;
          break;
        }
        if (n < 0) {
          ending = Ending.CLOSED;
          break;
        }
        answer.write(buf, 0, n);
      }
      return new Answer(answer.toByteArray(), ending, writeError, (System.nanoTime() - start) / 1_000_000);
    } catch (IOException e) {
      throw new AssertionError("cannot talk to " + connected.getRemoteSocketAddress() + ": " + e, e);
    }
  }

  /** How the read ended: the server closed (FIN), reset (RST), or neither before the deadline. */
  public enum Ending { CLOSED, RESET, TIMED_OUT }

  /** Everything the server sent on one connection. */
  public record Answer(byte[] raw, Ending ending, String writeError, long millis) {

    /** True when the server ended the connection (cleanly or with a reset) rather than leaving it open. */
    public boolean closedByServer() {
      return ending != Ending.TIMED_OUT;
    }

    public boolean isEmpty() {
      return raw.length == 0;
    }

    /** The responses in the answer, in order; a trailing fragment that does not parse is left out. */
    public List<Response> responses() {
      List<Response> all = new ArrayList<>();
      String s = new String(raw, StandardCharsets.ISO_8859_1);
      int at = 0;
      while (at < s.length()) {
        int headEnd = s.indexOf("\r\n\r\n", at);
        if (headEnd < 0 || !s.startsWith("HTTP/", at)) {
          break;
        }
        String[] lines = s.substring(at, headEnd).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          if (colon > 0) {
            headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                lines[i].substring(colon + 1).trim(), (a, b) -> a + ", " + b);
          }
        }
        int bodyStart = headEnd + 4;
        String length = headers.get("content-length");
        int bodyEnd = length == null ? s.length() : Math.min(s.length(), bodyStart + Integer.parseInt(length));
        all.add(new Response(lines[0], headers, s.substring(bodyStart, bodyEnd)));
        at = bodyEnd;
      }
      return all;
    }

    /** The first response; fails the test when there is none. */
    public Response first() {
      List<Response> all = responses();
      if (all.isEmpty()) {
        throw new AssertionError("expected an HTTP response, got " + describe());
      }
      return all.get(0);
    }

    /** The answer for failure messages: how it ended and its bytes, control characters escaped. */
    public String describe() {
      StringBuilder b = new StringBuilder();
      b.append("[connection ").append(ending == Ending.TIMED_OUT ? "still open after " + millis + " ms"
          : (ending == Ending.CLOSED ? "closed" : "reset") + " after " + millis + " ms");
      if (writeError != null) {
        b.append(", write failed: ").append(writeError);
      }
      b.append("] ");
      b.append(raw.length == 0 ? "<no bytes>" : escape(raw, 1500));
      return b.toString();
    }
  }

  /** One parsed response; header names lower-cased. */
  public record Response(String statusLine, Map<String, String> headers, String body) {

    public int status() {
      String[] parts = statusLine.split(" ");
      return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
    }

    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** Bytes as readable text: CR, LF and other control bytes escaped. */
  public static String escape(byte[] bytes, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, max); i++) {
      int c = bytes[i] & 0xff;
      if (c == '\r') {
        b.append("\\r");
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c < 0x20 || c >= 0x7f) {
        b.append(String.format("\\x%02x", c));
      } else {
        b.append((char) c);
      }
    }
    if (bytes.length > max) {
      b.append("...(").append(bytes.length).append(" bytes)");
    }
    return b.toString();
  }

  public static String escape(String s) {
    return escape(s.getBytes(StandardCharsets.ISO_8859_1), 300);
  }
}
