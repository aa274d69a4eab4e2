package io.sluice.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.Handler;
import io.vertx.core.ThreadingModel;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xOrH2CHandler;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.impl.ConnectionBase;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 with prior knowledge (h2c) on the plain proxy port, beside the strict HTTP/1.1 decoder. Vert.x's own h2c
 * support decides between HTTP/1.1 and HTTP/2 before any connection handler runs, so its HTTP/1.1 path would
 * decode the first request with Netty's lenient decoder ({@link StrictRequestDecoder} could only be swapped in
 * after it). Here the listener stays HTTP/1.1 (strict decoder from the first byte), and a connection whose first
 * 24 bytes are exactly the HTTP/2 client preface is turned into an HTTP/2 connection of the same server: nothing
 * of a connection that is not HTTP/2 is read any other way than before.
 *
 * <p>Until its first bytes decide, a connection is held here: a client that trickles the start of the preface is
 * closed once {@code proxy.header_timeout_ms} pass after its first read (the decoder's head deadline starts only once
 * the bytes reach it). A connection decided in its first read, as every real client's is, arms nothing.
 *
 * <p>The switch uses Vert.x internals ({@code HttpServerConnectionInitializer}, {@code HttpServerConnectionHandler},
 * reached by reflection); {@code Http2ProxyTest} fails loudly if an upgrade changes them.
 */
final class H2cPriorKnowledge extends Http1xOrH2CHandler {

  private static final Logger LOG = LoggerFactory.getLogger(H2cPriorKnowledge.class);

  /** The server's HTTP/2 side: what Vert.x would build for a prior-knowledge connection of {@code server}. */
  static final class Switch {
    private static final Constructor<?> HANDLER;
    private static final Constructor<?> INITIALIZER;
    private static final Method CONFIGURE_HTTP2;

    static {
      try {
        Class<?> server = Class.forName("io.vertx.core.http.impl.HttpServerImpl");
        Class<?> handler = Class.forName("io.vertx.core.http.impl.HttpServerConnectionHandler");
        Class<?> initializer = Class.forName("io.vertx.core.http.impl.HttpServerConnectionInitializer");
        HANDLER = handler.getDeclaredConstructor(server, Handler.class, Handler.class, Handler.class, Handler.class,
            Handler.class, Handler.class);
        HANDLER.setAccessible(true);
        INITIALIZER = initializer.getDeclaredConstructor(ContextInternal.class, ThreadingModel.class, Supplier.class,
            server, VertxInternal.class, HttpServerOptions.class, String.class, Handler.class, Handler.class,
            Object.class);
        INITIALIZER.setAccessible(true);
        CONFIGURE_HTTP2 = initializer.getDeclaredMethod("configureHttp2", ChannelPipeline.class);
        CONFIGURE_HTTP2.setAccessible(true);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final HttpServer server;
    private final HttpServerOptions options;
    private final Object connectionHandler;
    private final Handler<Throwable> exceptionHandler;
    /** proxy.header_timeout_ms. */
    private final long headerTimeoutMs;

    Switch(HttpServer server, HttpServerOptions options, Handler<HttpServerRequest> requests,
           Handler<HttpServerRequest> invalid, Handler<HttpConnection> connections, long headerTimeoutMs) {
      this.server = server;
      this.headerTimeoutMs = headerTimeoutMs;
      this.options = options;
      this.exceptionHandler = err -> LOG.debug("HTTP/2 connection error: {}", err.toString());
      try {
        this.connectionHandler = HANDLER.newInstance(server, requests, invalid, null, null, connections,
            exceptionHandler);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot set up h2c on the proxy listener", e);
      }
    }

    /** Turns the pipeline of {@code http1} (not a byte decoded yet) into an HTTP/2 server connection's. */
    void toHttp2(ConnectionBase http1, ChannelPipeline pipeline) throws ReflectiveOperationException {
      ContextInternal context = http1.context();
      String origin = "http://" + options.getHost() + ":" + server.actualPort();
      Supplier<ContextInternal> streams = context::duplicate;
      Object initializer = INITIALIZER.newInstance(context, context.threadingModel(), streams, server,
          context.owner(), options, origin, connectionHandler, exceptionHandler, http1.metric());
      pipeline.remove(StrictRequestDecoder.DECODER);
      pipeline.remove("httpEncoder");
      CONFIGURE_HTTP2.invoke(initializer, pipeline);
      H2HeaderBound.widen(pipeline.get(Http2ConnectionHandler.class), options);
      H2MalformedStreams.install(pipeline.get(Http2ConnectionHandler.class)); // before the first frame is read
      H2ConnectionErrors.quiet(pipeline.get(Http2ConnectionHandler.class)); // a corrupt opening: no ERROR line
      H2Flushes.consolidate(pipeline);
      H2HeadDeadline.install(pipeline, headerTimeoutMs, -1); // the preface decided already
    }
  }

  private final Switch toH2;
  private final ConnectionBase connection;
  /** Armed once a read ended undecided. */
  private ScheduledFuture<?> undecided;

  private H2cPriorKnowledge(Switch toH2, ConnectionBase connection) {
    this.toH2 = toH2;
    this.connection = connection;
  }

  /** Puts the preface detector in front of the HTTP/1.1 decoder of a new plain connection. */
  static void install(HttpConnection connection, Switch toH2) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(StrictRequestDecoder.DECODER) != null) {
        pipeline.addBefore(StrictRequestDecoder.DECODER, "h2cPriorKnowledge", new H2cPriorKnowledge(toH2, base));
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    super.channelRead(ctx, msg);
    if (!ctx.isRemoved() && undecided == null) {
      undecided = ctx.executor().schedule(() -> {
        LOG.debug("connection closed: its first bytes decided neither HTTP/1.1 nor h2c in {} ms", toH2.headerTimeoutMs);
        ctx.close();
      }, toH2.headerTimeoutMs, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (undecided != null) {
      undecided.cancel(false);
      undecided = null;
    }
  }

  /** Called once the first bytes decided: HTTP/1.x keeps the pipeline as it is (this handler then leaves it). */
  @Override
  protected void configure(ChannelHandlerContext ctx, boolean h2c) {
    if (h2c) {
      try {
        toH2.toHttp2(connection, ctx.pipeline());
      } catch (ReflectiveOperationException | RuntimeException e) {
        LOG.warn("cannot switch a connection to h2c: {}", e.toString());
        ctx.close();
      }
    }
  }
}
