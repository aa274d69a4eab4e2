package io.sluice.echo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * The demo upstream ({@code sluice echo --port 8070}): answers every request with a JSON echo of its
 * method, path, query, headers and body, and echoes WebSocket messages back.
 */
public final class EchoServer {

  /** Largest body echoed; the demo upstream is not meant for bulk transfers. */
  private static final int MAX_ECHO_BODY = 1 << 20;

  private EchoServer() {}

  public static Future<HttpServer> start(Vertx vertx, String host, int port) {
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .webSocketHandler(ws -> ws.handler(ws::write))
        .requestHandler(EchoServer::echo)
        .listen();
  }

  private static void echo(HttpServerRequest req) {
    req.body().onComplete(ar -> {
      JsonObject headers = new JsonObject();
      req.headers().forEach((k, v) -> {
        Object prev = headers.getValue(k);
        headers.put(k, prev == null ? v : prev + ", " + v);
      });
      String body = ar.succeeded() ? ar.result().toString() : "";
      if (body.length() > MAX_ECHO_BODY) {
        body = body.substring(0, MAX_ECHO_BODY);
      }
      JsonObject echo = new JsonObject()
          .put("method", req.method().name())
          .put("path", req.path())
          .put("query", req.query())
          .put("headers", headers)
          .put("body", body);
      req.response().putHeader("Content-Type", "application/json").end(echo.encodePrettily());
    });
  }
}
