package io.sluice.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Backend} that tells a request whose head arrived from one that arrived whole: it reads each body to
 * its end before answering 200 "ok", and records the requests it received completely and how many it
 * started to answer. A body that breaks off (the proxy reset the upstream request) is recorded as broken.
 */
public final class RecordingBackend implements AutoCloseable {

  /** A request received whole: its head and its complete body. */
  public record Received(String method, String uri, MultiMap headers, Buffer body) {
    @Override
    public String toString() {
      return method + " " + uri + " (" + body.length() + " body bytes)";
    }
  }

  /** Requests whose body ended normally, in arrival order. */
  public final List<Received> completed = new CopyOnWriteArrayList<>();
  /** Requests whose body broke off before its end. */
  public final List<String> broken = new CopyOnWriteArrayList<>();
  /** Responses the backend started to write (only ever after a complete body). */
  public final AtomicInteger answered = new AtomicInteger();

  private Backend backend;

  private RecordingBackend() {}

  public static RecordingBackend start(Vertx vertx) {
    RecordingBackend r = new RecordingBackend();
    r.backend = Backend.start(vertx, req -> req.body().onComplete(ar -> {
      if (ar.succeeded()) {
        r.completed.add(new Received(req.method().name(), req.uri(),
            MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), ar.result()));
        r.answered.incrementAndGet();
        req.response().end("ok");
      } else {
        r.broken.add(req.method() + " " + req.uri() + ": " + ar.cause());
      }
    }));
    return r;
  }

  public int port() {
    return backend.port();
  }

  /** Request heads the backend received, complete or not. */
  public int started() {
    return backend.requests.get();
  }

  /** "METHOD uri" of every request head the backend received. */
  public List<String> startedRequests() {
    return backend.seen.stream().map(r -> r.method() + " " + r.uri()).toList();
  }

  /** "METHOD uri" of every request the backend received whole. */
  public List<String> completedRequests() {
    return completed.stream().map(r -> r.method() + " " + r.uri()).toList();
  }

  /** Everything the backend saw, for failure messages. */
  public String describe() {
    return "backend heads=" + startedRequests() + " complete=" + completed + " broken=" + broken
        + " answered=" + answered.get();
  }

  @Override
  public void close() {
    backend.close();
  }
}
