package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request bodies trickled one byte at a time cannot take a service down: they end with 408 once below
 * proxy.body_min_rate, they hold no connection of another service (each service has its own pools, though
 * both send to the same address), and within a service a route holds at most its share of the pool.
 */
class SlowUploadsTest {

  private static final int SLOW = 40;

  private Vertx vertx;
  private Backend backend;
  private TestNode node;
  private Http http;
  private NetClient trickler;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    // Reads every body whole before answering, so a trickled upload holds its connection until it ends.
    backend = Backend.start(vertx, req -> req.body().onComplete(ar -> req.response().end("ok")));
    node = TestNode.start("""
        format_version: 1
        services:
          - {name: svc-a, tenant: a, targets: [{address: "127.0.0.1:%1$d"}], timeouts: {connect_ms: 500}}
          - {name: svc-b, tenant: b, targets: [{address: "127.0.0.1:%1$d"}], timeouts: {connect_ms: 500}}
        routes:
          - {name: a-upload, service: svc-a, paths: ["/a/upload"]}
          - {name: a-read, service: svc-a, paths: ["/a/read"]}
          - {name: b, service: svc-b, paths: ["/b"]}
        """.formatted(backend.port()), Map.of("SLUICE_UPSTREAM_POOL_MAX_SIZE", "4",
        "SLUICE_PROXY_BODY_TIMEOUT_MS", "1500", "SLUICE_PROXY_BODY_MIN_RATE", "1024"));
    http = new Http(vertx);
    trickler = vertx.createNetClient();
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
    vertx.close().await();
  }

  /** Sends a head announcing 1000 bytes, then one byte every 100 ms; completes with the answer's status line. */
  private Future<String> trickle(String path) {
    Promise<String> status = Promise.promise();
    vertx.runOnContext(v -> trickler.connect(node.proxyPort(), "127.0.0.1").onSuccess(socket -> {
      StringBuilder answer = new StringBuilder();
      long timer = vertx.setPeriodic(100, id -> socket.write("x"));
      socket.handler(b -> {
        answer.append(b.toString(StandardCharsets.ISO_8859_1));
        int eol = answer.indexOf("\r\n");
        if (eol > 0) {
          status.tryComplete(answer.substring(0, eol));
        }
      });
      socket.closeHandler(x -> {
        vertx.cancelTimer(timer);
        status.tryComplete(answer.length() == 0 ? "closed without an answer" : answer.toString());
      });
      socket.write(Buffer.buffer("POST " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"));
    }).onFailure(status::tryFail));
    return status.future();
  }

  @Test
  void trickled_uploads_on_one_tenant_leave_another_tenants_service_on_the_same_target_untouched() {
    List<Future<String>> slow = new ArrayList<>();
    for (int i = 0; i < SLOW; i++) {
      slow.add(trickle("/a/upload"));
    }
    // While they trickle: tenant b's service, and tenant a's other route, answer at once.
    for (int i = 0; i < 6; i++) {
      Http.Reply b = http.get(node.proxyPort(), "/b/x");
      assertEquals(200, b.status(), "tenant b's service: " + b.text());
      Http.Reply read = http.get(node.proxyPort(), "/a/read");
      assertEquals(200, read.status(), "the other route of the trickled service: " + read.text());
    }
    List<String> endings = new ArrayList<>();
    for (Future<String> f : slow) {
      endings.add(f.await());
    }
    for (String ending : endings) {
      assertTrue(ending.startsWith("HTTP/1.1 408") || ending.startsWith("HTTP/1.1 503"),
          "a trickled upload ends with 408 (too slow) or 503 (its route's share was taken): " + ending);
    }
    assertTrue(endings.stream().anyMatch(e -> e.startsWith("HTTP/1.1 408")), endings.toString());
    // Nothing the clients did counts against the target: it still serves.
    assertEquals(200, http.get(node.proxyPort(), "/a/upload").status());
  }
}
