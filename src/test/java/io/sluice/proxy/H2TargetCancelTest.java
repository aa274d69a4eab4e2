package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Clients cancelling their requests to an HTTP/2 target. Each cancellation is an RST_STREAM on the upstream
 * connection that many clients share, and a target built on Netty (Vert.x, grpc-java, most JVM servers) closes a
 * connection that sends it more than 200 of them in 30 seconds (the "rapid reset" defence). A client cancelling
 * that often must not take the other clients' requests on that connection down, nor open the target's breaker.
 */
@ExtendWith(VertxExtension.class)
class H2TargetCancelTest {

  /** Cancellations sent in all: more than the target's 200 per connection and window. */
  private static final int CANCELS = 360;
  /** Per client connection: below the gateway's own limit of resets a client may send on one connection. */
  private static final int PER_CLIENT = 40;

  private HttpServer target;
  private TestNode node;
  private final List<HttpServerRequest> hanging = new CopyOnWriteArrayList<>();
  private final AtomicInteger targetConnections = new AtomicInteger();
  private final AtomicInteger targetConnectionsClosed = new AtomicInteger();

  @BeforeEach
  void start(Vertx vertx) {
    // Default server options: Netty's limit of 200 RST_STREAM frames per 30 s on one connection applies.
    target = vertx.createHttpServer()
        .connectionHandler(c -> {
          targetConnections.incrementAndGet();
          c.closeHandler(v -> targetConnectionsClosed.incrementAndGet());
        })
        .requestHandler(req -> {
          if (req.path().startsWith("/hang/")) {
            hanging.add(req); // answered never: the client gives up
          } else if (req.path().startsWith("/slow/")) {
            vertx.setTimer(1500, t -> req.response().end("slow " + req.path()));
          } else {
            req.response().end("ok");
          }
        });
    target.listen(0, "127.0.0.1").await();
    node = TestNode.start("format_version: 1\nservices:\n  - name: svc\n    retries: 0\n"
        + "    circuit_breaker: {failures: 3, open_ms: 60000}\n    targets:\n"
        + "      - address: h2c://127.0.0.1:" + target.actualPort() + "\n"
        + "routes:\n  - name: all\n    service: svc\n    paths: [\"/\"]\n");
  }

  @AfterEach
  void stop() {
    node.close();
    target.close().await();
  }

  @Test
  void clients_cancelling_hundreds_of_requests_do_not_fail_other_requests_or_open_the_breaker(Vertx vertx)
      throws Exception {
    try (CapturedLogs logs = CapturedLogs.all()) {
      cancelHundreds(vertx);
      assertEquals(List.of(), logs.atLeast(Level.ERROR), "no connection was closed under the gateway");
    }
  }

  private void cancelHundreds(Vertx vertx) throws Exception {
    Http legit = Http.h2c(vertx);
    List<Future<Http.Reply>> slow = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      slow.add(legit.send(options("/slow/" + i), null));
    }
    for (int sent = 0; sent < CANCELS; sent += PER_CLIENT) {
      Http hostile = Http.h2c(vertx);
      int before = hanging.size();
      List<HttpClientRequest> requests = hostile.onContext(client -> {
        List<Future<HttpClientRequest>> reqs = new ArrayList<>();
        for (int i = 0; i < PER_CLIENT; i++) {
          reqs.add(client.request(options("/hang/" + i)).compose(r -> {
            r.exceptionHandler(e -> { }); // this client's own resets
            return r.end().map(r);
          }));
        }
        return Future.all(reqs).map(f -> f.<HttpClientRequest>list());
      }).await();
      waitUntil(() -> hanging.size() >= before + PER_CLIENT, "the target holds the batch's requests");
      hostile.onContext(client -> {
        List<Future<Void>> resets = new ArrayList<>();
        for (HttpClientRequest r : requests) {
          resets.add(r.reset(8)); // CANCEL
        }
        return Future.all(resets);
      }).await();
      hostile.close();
    }
    for (Future<Http.Reply> f : slow) {
      Http.Reply r = f.await(10, TimeUnit.SECONDS);
      assertEquals(200, r.status(), "a request in flight beside the cancellations is answered: " + r.text());
    }
    for (int i = 0; i < 5; i++) {
      Http.Reply r = legit.send(options("/after/" + i), null).await(10, TimeUnit.SECONDS);
      assertEquals(200, r.status(), "the target's breaker stayed closed: " + r.text());
    }
    assertTrue(targetConnections.get() >= 2, "the cancellations were spread over fresh connections: "
        + targetConnections.get());
  }

  /**
   * Clients that go away while their requests wait for a stream on a target's saturated connections: each waiting
   * request is handed a stream slot later and given back unsent. Vert.x (5.0) does not return the slot of a request
   * reset before its head is written, so the slots leaked until the pool could give out no stream at all and every
   * request was answered 503 "no connection free in time". The connection such a request was leased on is
   * retired, so its slots go with it.
   */
  @Test
  void clients_going_away_while_waiting_for_a_stream_leave_the_pool_able_to_serve(Vertx vertx) throws Exception {
    goingAway(vertx, "h2c://", Map.of());
  }

  /**
   * The same over HTTP/1.1: a pool of 8 connections, all of it open to the one route; the requests beyond it wait
   * in the route's own line (see Pools), and leave it when their clients go.
   */
  @Test
  void clients_going_away_while_waiting_for_an_http11_connection_leave_the_pool_able_to_serve(Vertx vertx)
      throws Exception {
    goingAway(vertx, "", Map.of("SLUICE_UPSTREAM_POOL_MAX_SIZE", "8",
        "SLUICE_UPSTREAM_ROUTE_POOL_SHARE_PERCENT", "100"));
  }

  private void goingAway(Vertx vertx, String scheme, Map<String, String> env) throws Exception {
    HttpServer small = vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
            .setInitialSettings(new io.vertx.core.http.Http2Settings().setMaxConcurrentStreams(4)))
        .requestHandler(req -> {
          if (req.path().startsWith("/hold/")) {
            hanging.add(req);
          } else {
            req.response().end("ok");
          }
        });
    small.listen(0, "127.0.0.1").await();
    TestNode limited = TestNode.start("format_version: 1\nservices:\n  - name: svc\n    retries: 0\n"
        + "    timeouts: {connect_ms: 1000}\n    targets:\n"
        + "      - address: " + scheme + "127.0.0.1:" + small.actualPort() + "\n"
        + "routes:\n  - name: all\n    service: svc\n    paths: [\"/\"]\n", env);
    try {
      for (int round = 0; round < 3; round++) {
        Http holder = Http.h2c(vertx);
        List<Future<Http.Reply>> held = new ArrayList<>();
        int before = hanging.size();
        for (int i = 0; i < 8; i++) { // two connections of 4 streams each: the pool is full
          held.add(holder.send(options(limited, "/hold/" + round + "/" + i), null));
        }
        waitUntil(() -> hanging.size() == before + 8, "the target holds 8 requests");
        Http leaving = Http.h2c(vertx);
        List<HttpClientRequest> waiting = leaving.onContext(client -> {
          List<Future<HttpClientRequest>> reqs = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            reqs.add(client.request(options(limited, "/wait/" + i)).compose(r -> {
              r.exceptionHandler(e -> { });
              return r.end().map(r);
            }));
          }
          return Future.all(reqs).map(f -> f.<HttpClientRequest>list());
        }).await();
        Thread.sleep(100); // the gateway has them queued for a stream
        leaving.onContext(client -> Future.all(waiting.stream().map(r -> r.reset(8)).toList())).await();
        Thread.sleep(100);
        for (HttpServerRequest h : hanging.subList(before, before + 8)) {
          vertx.runOnContext(v -> h.response().end("released"));
        }
        for (Future<Http.Reply> f : held) {
          assertEquals(200, f.await(10, TimeUnit.SECONDS).status());
        }
        for (int i = 0; i < 10; i++) {
          Http.Reply r = holder.send(options(limited, "/after/" + round + "/" + i), null).await(10, TimeUnit.SECONDS);
          assertEquals(200, r.status(), "round " + round + ": the pool still gives out streams: " + r.text());
        }
        holder.close();
        leaving.close();
      }
    } finally {
      limited.close();
      small.close().await();
    }
  }

  private static RequestOptions options(TestNode node, String uri) {
    return new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(node.proxyPort())
        .setURI(uri);
  }

  private RequestOptions options(String uri) {
    return new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(node.proxyPort())
        .setURI(uri);
  }

  private static void waitUntil(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out: " + what);
      }
      Thread.sleep(5);
    }
  }
}
