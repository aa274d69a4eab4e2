package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.sluice.testing.Http;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Vert.x HTTP/2 client connection, as the proxy's pools make them, sending many RST_STREAM frames of the kind
 * Netty sends for frames that arrive on streams already reset (STREAM_CLOSED). With Vert.x's defaults the client
 * closes its own connection past 200 in 30 seconds (a server's limit, given to the client by mistake); with the
 * limits lifted it stays up and serves on.
 */
@ExtendWith(VertxExtension.class)
class H2ClientRstLimitsTest {

  private static final int RESETS = 300;

  private HttpServer target;

  @BeforeEach
  void start(Vertx vertx) {
    // The target takes any number of resets: only the client's own limit is under test.
    target = vertx.createHttpServer(new HttpServerOptions().setHttp2RstFloodMaxRstFramePerWindow(1_000_000))
        .requestHandler(req -> req.response().end("ok"));
    target.listen(0, "127.0.0.1").await();
  }

  @AfterEach
  void stop() {
    target.close().await();
  }

  @Test
  void a_connection_to_a_target_survives_hundreds_of_its_own_resets(Vertx vertx) {
    assertTrue(resetsClose(vertx, null), "the test reproduces Vert.x's limit: without the lift the client closes");
    assertFalse(resetsClose(vertx, H2ClientRstLimits::lift), "with the limits lifted the connection stays up");
  }

  /** Sends RESETS resets on one client connection; true when the client closed its connection because of them. */
  private boolean resetsClose(Vertx vertx, Handler<HttpConnection> onConnect) {
    var builder = vertx.httpClientBuilder().with(Http.h2cOptions());
    if (onConnect != null) {
      builder.withConnectHandler(onConnect);
    }
    HttpClientAgent client = builder.build();
    try {
      RequestOptions get = new RequestOptions().setHost("127.0.0.1").setPort(target.actualPort()).setURI("/");
      AtomicReference<HttpConnection> conn = new AtomicReference<>();
      assertEquals("ok", client.request(get).compose(req -> {
        conn.set(req.connection());
        return req.send().compose(resp -> resp.body());
      }).await().toString());
      Channel channel = ((ConnectionBase) conn.get()).channel();
      Promise<Void> sent = Promise.promise();
      channel.eventLoop().execute(() -> {
        ChannelHandlerContext ctx = channel.pipeline().context(Http2ConnectionHandler.class);
        Http2ConnectionHandler h2 = (Http2ConnectionHandler) ctx.handler();
        for (int i = 0; i < RESETS && channel.isActive(); i++) {
          // Stream 1 carried the request above and is closed: what Netty answers to a frame on it.
          h2.encoder().writeRstStream(ctx, 1, Http2Error.STREAM_CLOSED.code(), ctx.newPromise());
        }
        ctx.flush();
        sent.complete();
      });
      sent.future().await();
      try {
        Thread.sleep(200); // a close the limit caused has run
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (!channel.isActive()) {
        return true;
      }
      assertEquals("ok", client.request(get).compose(req -> req.send().compose(resp -> resp.body())).await()
          .toString(), "the connection serves on");
      return false;
    } finally {
      client.close().await();
    }
  }
}
