package io.sluice.proxy;

import io.sluice.route.LiveRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpConnection;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What the requests of one event loop share: the pooled client of that loop, the live routes and the limits.
 * Confined to its event loop, so the connection bookkeeping needs no lock.
 */
final class ProxyContext {

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final LiveRoutes routes;
  private final long maxBodyBytes;
  private final String nodeName;
  /** Connections this loop has already sent a request on: a second use means a reused (pooled) connection. */
  private final Map<HttpConnection, Boolean> seen = new WeakHashMap<>();
  private final Deadlines deadlines;

  ProxyContext(Vertx vertx, HttpClientAgent client, LiveRoutes routes, long maxBodyBytes, String nodeName) {
    this.vertx = vertx;
    this.client = client;
    this.routes = routes;
    this.maxBodyBytes = maxBodyBytes;
    this.nodeName = nodeName;
    this.deadlines = new Deadlines(vertx);
  }

  Vertx vertx() { return vertx; }

  HttpClientAgent client() { return client; }

  LiveRoutes routes() { return routes; }

  long maxBodyBytes() { return maxBodyBytes; }

  String nodeName() { return nodeName; }

  /** The request timeouts of this event loop. */
  Deadlines deadlines() { return deadlines; }

  /** Records a request on {@code conn}; true when the connection had carried one before. */
  boolean markUse(HttpConnection conn) {
    return seen.put(conn, Boolean.TRUE) != null;
  }
}
