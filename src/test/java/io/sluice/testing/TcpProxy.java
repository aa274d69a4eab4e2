package io.sluice.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a free loopback port in front of a real server, to make that server look down (new
 * connections closed at once) or make the connections open now go silent (bytes dropped both ways, the
 * sockets left open: a half-open connection as its client sees it), without touching the server.
 */
public final class TcpProxy {

  private final NetServer server;
  private final NetClient client;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean refusing;
  private volatile boolean swallowing;
  private final Set<NetSocket> swallowed = ConcurrentHashMap.newKeySet();
  private volatile String delayMarker;
  private volatile long delayMs;
  private volatile boolean delayed;

  private static final class Link {
    final NetSocket front;
    volatile NetSocket back;
    volatile boolean silent;

    Link(NetSocket front) {
      this.front = front;
    }
  }

  private TcpProxy(Vertx vertx, String host, int port) {
    client = vertx.createNetClient();
    server = vertx.createNetServer().connectHandler(front -> {
      accepted.incrementAndGet();
      if (refusing) {
        front.close();
        return;
      }
      if (swallowing) {
        swallowed.add(front);
        front.handler(b -> { });
        front.closeHandler(v -> swallowed.remove(front));
        return;
      }
      Link link = new Link(front);
      links.add(link);
      front.pause();
      client.connect(port, host).onComplete(ar -> {
        if (ar.failed()) {
          front.close();
          return;
        }
        NetSocket back = ar.result();
        link.back = back;
        front.handler(b -> {
          String marker = delayMarker;
          if (marker != null && b.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains(marker)) {
            delayMarker = null;
            delayed = true;
            front.pause();
            vertx.setTimer(delayMs, t -> {
              back.write(b);
              front.resume();
            });
            return;
          }
          if (!link.silent) {
            back.write(b);
          }
        });
        back.handler(b -> {
          if (!link.silent) {
            front.write(b);
          }
        });
        front.closeHandler(v -> {
          links.remove(link);
          back.close();
        });
        back.closeHandler(v -> front.close());
        front.resume();
      });
    });
  }

  public static TcpProxy start(Vertx vertx, String host, int port) {
    TcpProxy proxy = new TcpProxy(vertx, host, port);
    proxy.server.listen(0, "127.0.0.1").await();
    return proxy;
  }

  public int port() {
    return server.actualPort();
  }

  /** Connections accepted so far, refused ones included. */
  public int accepted() {
    return accepted.get();
  }

  /** New connections are closed at once, as if nothing listened. */
  public void refuse() {
    refusing = true;
  }

  /** New connections are accepted and never answered (what they send is dropped): a hung server. */
  public void swallow() {
    swallowing = true;
  }

  /** New connections are relayed again. */
  public void forward() {
    refusing = false;
    swallowing = false;
  }

  /**
   * The first connection from now on whose client sends {@code marker} (in one read, as a PostgreSQL startup
   * message carries the client's application_name) reaches the server {@code ms} later: a slow first handshake.
   */
  public void delayFirst(String marker, long ms) {
    delayMs = ms;
    delayMarker = marker;
  }

  /** Whether the connection {@link #delayFirst} waited for came and was delayed. */
  public boolean delayed() {
    return delayed;
  }

  /** Closes every connection open now, both sides (the server sees its clients go away). */
  public void closeOpenConnections() {
    links.forEach(l -> {
      l.front.close();
      if (l.back != null) {
        l.back.close();
      }
    });
  }

  /** Every connection open now drops all bytes from here on, in both directions, and stays open. */
  public void silenceOpenConnections() {
    links.forEach(l -> l.silent = true);
  }

  public void close() {
    swallowed.forEach(NetSocket::close);
    links.forEach(l -> {
      l.front.close();
      if (l.back != null) {
        l.back.close();
      }
    });
    server.close().await();
    client.close().await();
  }
}
