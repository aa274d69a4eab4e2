package io.sluice.testing;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A real Vert.x HTTP backend on a free port that counts and remembers what it received. */
public final class Backend implements AutoCloseable {

  private final HttpServer server;
  public final AtomicInteger requests = new AtomicInteger();
  public final List<HttpServerRequest> seen = new CopyOnWriteArrayList<>();

  private Backend(HttpServer server) {
    this.server = server;
  }

  /** Starts a backend whose handler runs after the request is counted and remembered. */
  public static Backend start(Vertx vertx, Handler<HttpServerRequest> handler) {
    Backend[] self = new Backend[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      self[0].requests.incrementAndGet();
      self[0].seen.add(req);
      handler.handle(req);
    });
    self[0] = new Backend(server);
    server.listen(0, "127.0.0.1").await();
    return self[0];
  }

  /** A backend answering 200 with its own name as body. */
  public static Backend named(Vertx vertx, String name) {
    return start(vertx, req -> req.response().end(name));
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    server.close().await();
  }
}
