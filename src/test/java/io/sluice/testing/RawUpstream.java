package io.sluice.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An upstream that records the raw bytes it receives, per connection, exactly as they arrived (no HTTP
 * parser of its own to be lenient or strict), and answers each complete request (a head, then its
 * Content-Length or chunked body) with 200 and, as the body, the request line and the headers it read. What
 * a hostile request must never do is reach it: {@link #bytes()} says what did.
 */
public final class RawUpstream implements AutoCloseable {

  private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");
  private static final Pattern CHUNKED = Pattern.compile("(?im)^transfer-encoding:\\s*chunked\\s*$");

  private final NetServer server;
  /** The bytes of each connection, in the order the connections opened. */
  private final List<StringBuilder> connections = new CopyOnWriteArrayList<>();
  /** The request heads answered, in order. */
  public final List<String> heads = new CopyOnWriteArrayList<>();

  private RawUpstream(NetServer server) {
    this.server = server;
  }

  public static RawUpstream start(Vertx vertx) {
    RawUpstream[] self = new RawUpstream[1];
    NetServer server = vertx.createNetServer().connectHandler(socket -> self[0].serve(socket));
    self[0] = new RawUpstream(server);
    server.listen(0, "127.0.0.1").await();
    return self[0];
  }

  public int port() {
    return server.actualPort();
  }

  private void serve(NetSocket socket) {
    StringBuilder all = new StringBuilder();
    connections.add(all);
    StringBuilder pending = new StringBuilder();
    socket.handler(b -> {
      String s = b.toString(StandardCharsets.ISO_8859_1);
      synchronized (all) {
        all.append(s);
      }
      pending.append(s);
      answerComplete(socket, pending);
    });
  }

  /** Answers every complete request at the start of {@code pending}, and removes it. */
  private void answerComplete(NetSocket socket, StringBuilder pending) {
    while (true) {
      int headEnd = pending.indexOf("\r\n\r\n");
      if (headEnd < 0) {
        return;
      }
      String head = pending.substring(0, headEnd);
      int bodyStart = headEnd + 4;
      int end;
      Matcher cl = CONTENT_LENGTH.matcher(head);
      if (CHUNKED.matcher(head).find()) {
        int last = pending.indexOf("\r\n0\r\n\r\n", bodyStart - 2);
        if (last < 0) {
          return;
        }
        end = last + 7;
      } else if (cl.find()) {
        end = bodyStart + Integer.parseInt(cl.group(1));
        if (pending.length() < end) {
          return;
        }
      } else {
        end = bodyStart;
      }
      pending.delete(0, end);
      heads.add(head);
      byte[] body = head.getBytes(StandardCharsets.ISO_8859_1);
      socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
          + "\r\n\r\n").appendBytes(body));
    }
  }

  /** Every byte received, all connections together in the order they opened. */
  public String bytes() {
    StringBuilder out = new StringBuilder();
    for (StringBuilder c : connections) {
      synchronized (c) {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The connections opened so far. */
  public int connections() {
    return connections.size();
  }

  /** The request lines answered, in order. */
  public List<String> requestLines() {
    List<String> out = new ArrayList<>();
    for (String h : heads) {
      out.add(h.substring(0, h.indexOf("\r\n") < 0 ? h.length() : h.indexOf("\r\n")));
    }
    return out;
  }

  @Override
  public void close() {
    server.close().await();
  }
}
