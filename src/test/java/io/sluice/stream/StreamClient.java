package io.sluice.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test subscriber: a Vert.x WebSocket on one context, its frames queued for the test thread to take. */
final class StreamClient {

  private final Context context;
  private final WebSocketClient client;

  StreamClient(Vertx vertx) {
    this.context = vertx.getOrCreateContext();
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(10_000));
  }

  /** One connection: frames as they came, and how it closed. */
  static final class Sub {
    final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Short> closed = new CompletableFuture<>();
    volatile String closeReason;
    volatile WebSocket ws;

    /** The next frame, or null after {@code timeout}. */
    JsonObject next(Duration timeout) throws InterruptedException {
      return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Frames until {@code n} records have come (gap frames included in the list), failing after timeout. */
    List<JsonObject> records(int n, Duration timeout) throws InterruptedException {
      List<JsonObject> out = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      int records = 0;
      while (records < n) {
        long left = deadline - System.nanoTime();
        JsonObject f = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
        if (f == null) {
          throw new AssertionError("only " + records + " of " + n + " records within " + timeout
              + (closed.isDone() ? " (closed " + closed.getNow(null) + " " + closeReason + ")" : ""));
        }
        out.add(f);
        if (f.containsKey("record")) {
          records++;
        }
      }
      return out;
    }

    short awaitClose(Duration timeout) throws Exception {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void close() {
      WebSocket w = ws;
      if (w != null) {
        w.close();
      }
    }
  }

  /** Connects to {@code /v1/stream?query} with the token as a bearer header (null: none). */
  Sub connect(int port, String query, String token) {
    Sub sub = new Sub();
    Promise<WebSocket> p = Promise.promise();
    context.runOnContext(v -> {
      WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
          .setURI("/v1/stream" + (query == null || query.isEmpty() ? "" : "?" + query));
      if (token != null) {
        o.addHeader("Authorization", "Bearer " + token);
      }
      client.connect(o).onSuccess(ws -> {
        sub.ws = ws;
        ws.textMessageHandler(t -> sub.frames.add(new JsonObject(t)));
        ws.closeHandler(x -> {
          sub.closeReason = ws.closeReason();
          sub.closed.complete(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode());
        });
      }).onComplete(p);
    });
    Future<WebSocket> f = p.future();
    f.await();
    return sub;
  }
}
