package io.sluice.proxy;

import io.sluice.route.LiveRoutes;
import io.sluice.stream.AccessLog;
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
  /** Where finished requests' access records go (this loop's buffer), or null when export is off. */
  private final AccessLog accessLog;

  ProxyContext(Vertx vertx, HttpClientAgent client, LiveRoutes routes, long maxBodyBytes, String nodeName) {
    this(vertx, client, routes, maxBodyBytes, nodeName, AccessLog.OFF);
  }

  ProxyContext(Vertx vertx, HttpClientAgent client, LiveRoutes routes, long maxBodyBytes, String nodeName,
               AccessLog accessLog) {
    this.accessLog = accessLog;
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

  /** This loop's access-record buffer, or null when the access stream is off. */
  AccessLog accessLog() { return accessLog; }

  /** The request timeouts of this event loop. */
  Deadlines deadlines() { return deadlines; }

  /** Records a request on {@code conn}; true when the connection had carried one before. */
  boolean markUse(HttpConnection conn) {
    return seen.put(conn, Boolean.TRUE) != null;
  }
}
