package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * proxy.h2_max_resets and proxy.h2_reset_window_s: the rapid-reset defence on the proxy's HTTP/2 client connections.
 * By default a connection that resets more than 200 streams within 30 seconds is ended (GOAWAY); a platform whose
 * clients cancel more than that in normal traffic (gRPC deadlines over one long connection) raises the limit.
 */
@ExtendWith(VertxExtension.class)
class H2ResetLimitTest {

  private static final int RESETS = 300;

  private Backend backend;
  private TestNode node;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response().end("ok"));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    backend.close();
  }

  @Test
  void a_client_resetting_more_streams_than_the_limit_loses_its_connection(Vertx vertx) {
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()));
    assertTrue(resetsEndTheConnection(vertx), "past 200 resets in 30 s the connection ends");
  }

  @Test
  void a_raised_limit_keeps_the_connection_of_a_client_that_cancels_often(Vertx vertx) {
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), Map.of("SLUICE_PROXY_H2_MAX_RESETS", "1000"));
    assertFalse(resetsEndTheConnection(vertx), "under the raised limit the connection serves on");
  }

  /** Opens RESETS streams on one h2c connection and resets each; true when the proxy ended the connection. */
  private boolean resetsEndTheConnection(Vertx vertx) {
    HttpClientAgent client = vertx.httpClientBuilder().with(Http.h2cOptions())
        .with(new PoolOptions().setHttp2MaxSize(1)).build();
    try {
      RequestOptions post = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
          .setPort(node.proxyPort()).setURI("/cancelled");
      AtomicReference<HttpConnection> first = new AtomicReference<>();
      AtomicBoolean closed = new AtomicBoolean();
      for (int batch = 0; batch < RESETS / 50; batch++) {
        List<Future<Void>> resets = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          resets.add(client.request(post).compose(req -> {
            if (first.compareAndSet(null, req.connection())) {
              req.connection().closeHandler(v -> closed.set(true));
            }
            req.exceptionHandler(e -> { });
            req.setChunked(true);
            return req.sendHead().compose(v -> req.reset(8)); // the stream exists, then CANCEL
          }).recover(e -> Future.succeededFuture()));
        }
        Future.all(resets).await();
        if (closed.get()) {
          return true;
        }
      }
      try {
        Thread.sleep(200); // a GOAWAY sent for the last resets has arrived
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (closed.get()) {
        return true;
      }
      HttpClientRequest[] last = new HttpClientRequest[1];
      String body;
      try {
        body = client.request(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/after"))
            .compose(req -> {
              last[0] = req;
              return req.send().compose(resp -> resp.body());
            }).await().toString();
      } catch (io.vertx.core.http.HttpClosedException e) {
        // On a loaded machine the GOAWAY can come later than the pause above: it ends the next request instead.
        if (e.goAway() != null && e.goAway().getErrorCode() == 11) { // ENHANCE_YOUR_CALM: the reset limit's
          return true;
        }
        throw e;
      }
      assertEquals("ok", body);
      assertTrue(last[0].connection() == first.get(), "the same connection answered");
      return false;
    } finally {
      client.close().await();
    }
  }
}
