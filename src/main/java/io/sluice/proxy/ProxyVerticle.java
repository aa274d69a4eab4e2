package io.sluice.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.sluice.metrics.EventLoopDelay;
import io.sluice.route.LiveRoutes;
import io.sluice.settings.NodeSettings;
import io.sluice.stream.export.AccessExporter;
import io.sluice.stream.export.LoopBuffer;
import io.sluice.tls.LiveCertificates;
import io.sluice.tls.TlsMeters;
import io.sluice.tls.TlsOptions;
import io.sluice.util.InvalidRequestAnswer;
import io.sluice.util.WebSocketProtocolErrors;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;

/**
 * The proxy listener of one event loop: it only listens and hands each request to the pipeline. Several
 * instances share port 8080 (Vert.x balances connections between them); each has its own upstream pool.
 */
public final class ProxyVerticle extends VerticleBase {

  /** Streams one HTTP/2 client connection may have open at once (Vert.x's default as well). */
  private static final long H2_MAX_CONCURRENT_STREAMS = 100;

  private final NodeSettings settings;
  private final LiveRoutes routes;
  private HttpServer server;
  private ProxyContext ctx;
  private EventLoopDelay loopDelay;
  private final MeterRegistry registry;
  private final AccessExporter exporter;
  private LoopBuffer accessBuffer;
  private final LiveCertificates certificates;
  private HttpServer tlsServer;

  /** {@code exporter} null: no access records. */
  public ProxyVerticle(NodeSettings settings, LiveRoutes routes, MeterRegistry registry, AccessExporter exporter) {
    this(settings, routes, registry, exporter, null);
  }

  /** {@code certificates} null (or proxy.tls_enabled false): no TLS listener. */
  public ProxyVerticle(NodeSettings settings, LiveRoutes routes, MeterRegistry registry, AccessExporter exporter,
                       LiveCertificates certificates) {
    this.settings = settings;
    this.routes = routes;
    this.registry = registry;
    this.exporter = exporter;
    this.certificates = certificates;
  }

  @Override
  public Future<?> start() {
    NodeSettings.Proxy p = settings.proxy();
    accessBuffer = exporter == null ? null : new LoopBuffer(vertx, exporter);
    ctx = new ProxyContext(vertx, settings, routes, accessBuffer, registry, certificates);
    HttpServerOptions serverOptions = new HttpServerOptions()
            .setHost(p.host())
            .setPort(p.port())
            .setMaxHeaderSize(p.maxHeaderBytes())
            .setMaxInitialLineLength(p.maxInitialLineBytes())
            .setIdleTimeout(p.clientIdleTimeoutS())
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setTcpNoDelay(true)
            .setCompressionSupported(false)
            .setDecompressionSupported(false)
            // 100 Continue only once the route's policies let the request through (Exchange.forward).
            .setHandle100ContinueAutomatically(false)
            // Bridged WebSocket frames are relayed one by one: the same bound both ways (WebSocketBridge).
            .setMaxWebSocketFrameSize(p.websocketMaxFrameBytes())
            .setMaxWebSocketMessageSize(p.websocketMaxFrameBytes())
            // No WebSocket compression with clients: the bound above is checked on a frame's bytes as sent, and an
            // inflated message has no bound of its own (an outside tester: 300 MB from about 300 KB of deflate ran a
            // node out of heap; 30 MB reached the target whole). Clients fall back to plain frames.
            .setPerMessageWebSocketCompressionSupported(false)
            .setPerFrameWebSocketCompressionSupported(false)
            // Vert.x's own h2c would decode a first HTTP/1.1 request leniently: see H2cPriorKnowledge.
            .setHttp2ClearTextEnabled(false)
            // Rapid reset (CVE-2023-44487): a client connection sending more resets than this is ended.
            .setHttp2RstFloodMaxRstFramePerWindow(p.h2MaxResets())
            .setHttp2RstFloodWindowDuration(p.h2ResetWindowS())
            .setHttp2RstFloodWindowDurationTimeUnit(TimeUnit.SECONDS)
            .setInitialSettings(new Http2Settings()
                .setMaxHeaderListSize(p.maxHeaderBytes())
                .setMaxConcurrentStreams(H2_MAX_CONCURRENT_STREAMS));
    ProxyHandler requests = new ProxyHandler(ctx, false);
    server = vertx.createHttpServer(serverOptions);
    // Vert.x installs its frame listener when the client's first SETTINGS arrives, then calls this: the guard
    // decorates that listener (decorated any earlier, it would be replaced).
    H2cPriorKnowledge.Switch h2c = p.h2c()
        ? new H2cPriorKnowledge.Switch(server, serverOptions, requests, this::invalid, conn -> {
          H2RequestMethods.guard(conn);
          // Again once Vert.x's listener is in place: the one set at the switch watched for our SETTINGS' ACK (after
          // which Netty puts its 1.25 bound back) and went with the listener Vert.x replaced.
          H2HeaderBound.widen(conn, serverOptions);
        }, p.headerTimeoutMs()) : null;
    server.connectionHandler(conn -> {
          StrictRequestDecoder.install(conn, serverOptions, p.maxHeaders(), p.headerTimeoutMs());
          WebSocketProtocolErrors.install(conn); // a broken frame of a bridged session: a close frame saying why
          ClientHalfClose.install(conn); // a client that shuts its side after its request still gets the answer
          if (h2c != null) {
            H2cPriorKnowledge.install(conn, h2c);
          }
        })
        .requestHandler(requests)
        .invalidRequestHandler(this::invalid);
    loopDelay = EventLoopDelay.start(vertx, registry);
    if (certificates == null || !p.tlsEnabled()) {
      return server.listen();
    }
    // The same pipeline over TLS: certificates chosen by SNI from the live configuration at each handshake.
    HttpServerOptions tlsOptions = TlsOptions.proxy(serverOptions, settings, certificates,
        (pipeline, accepted) -> handshaken(pipeline, accepted, p.headerTimeoutMs()));
    TlsMeters tls = new TlsMeters(registry, "proxy");
    tlsServer = vertx.createHttpServer(tlsOptions)
        .connectionHandler(conn -> {
          tls.completed();
          // HTTP/1.1 (ALPN http/1.1 or none)
          StrictRequestDecoder.install(conn, tlsOptions, p.maxHeaders(), p.headerTimeoutMs());
          WebSocketProtocolErrors.install(conn);
          H2HeaderBound.widen(conn, tlsOptions); // h2 by ALPN: oversize header lists as on h2c
          H2RequestMethods.guard(conn); // h2 by ALPN: a :method that is not a token, a stream error as on h2c
          H2Flushes.consolidate(conn); // h2 by ALPN: one write for the answers of one event-loop turn
        })
        .exceptionHandler(tls::failed)
        .requestHandler(new ProxyHandler(ctx, true))
        .invalidRequestHandler(this::invalid);
    return server.listen().compose(s -> tlsServer.listen());
  }

  /**
   * A TLS connection once its handshake is done, before a byte of it is read: what must hold from an h2 connection's
   * first frame, which the connection handler (called once the client's SETTINGS are read) would set too late.
   *
   * <p>And the first head's deadline: proxy.header_timeout_ms from the connection's accept (the handshake, bounded by
   * it too, included: {@code TlsOptions.proxy}). A TLS record trickled holds its bytes in the TLS layer until it is
   * whole, so the decoders' own deadlines, armed by a head begun, would never start. One timer per connection,
   * cancelled once: by the first head decoded (HTTP/1.1), by the client's preface and SETTINGS read (h2).
   */
  private static void handshaken(ChannelPipeline pipeline, long acceptedNanos, long headerTimeoutMs) {
    long firstMs = headerTimeoutMs <= 0 ? -1
        : Math.max(1, headerTimeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - acceptedNanos));
    Http2ConnectionHandler h2 = pipeline.get(Http2ConnectionHandler.class);
    if (h2 != null) {
      H2ConnectionErrors.quiet(h2); // a corrupt preface, another frame before SETTINGS: no ERROR line
      H2MalformedStreams.install(h2); // a malformed request with a body in the first read: a stream error
      // A header block trickled, or the preface and SETTINGS not read in time: GOAWAY after header_timeout_ms.
      H2HeadDeadline.install(pipeline, headerTimeoutMs, firstMs);
    } else if (firstMs > 0) {
      StrictRequestDecoder.firstHeadWithin(pipeline, firstMs); // 408 for a first head not whole in time
    }
  }

  /** The TLS listener's port, or -1 when there is none. */
  public int actualTlsPort() {
    return tlsServer == null ? -1 : tlsServer.actualPort();
  }

  /** Requests the HTTP decoder could not read: refused with a JSON error, and the connection closed. */
  private void invalid(HttpServerRequest req) {
    long start = System.nanoTime();
    InvalidRequestAnswer.inHttp11(req); // not the HTTP/1.0 Netty stands an unreadable request in as
    Throwable cause = req.decoderResult().cause();
    ProxyError error = ProxyError.BAD_REQUEST;
    if (cause instanceof FramingScanner.Refused refused) {
      error = refused.status == 505 ? ProxyError.VERSION_NOT_SUPPORTED
          : refused.status == 431 ? ProxyError.HEADERS_TOO_LARGE
          : refused.status == 408 ? ProxyError.REQUEST_TIMEOUT : ProxyError.BAD_REQUEST;
    } else if (cause instanceof TooLongFrameException) {
      String m = String.valueOf(cause.getMessage());
      error = m.contains("header") ? ProxyError.HEADERS_TOO_LARGE
          : m.contains("line") ? ProxyError.URI_TOO_LONG : ProxyError.BAD_REQUEST;
    }
    String why = cause == null ? "unreadable" : cause.getMessage() != null && cause.getMessage().length() < 200
        ? cause.getMessage() : cause.getClass().getSimpleName();
    String path;
    try {
      path = req.path();
    } catch (RuntimeException e) {
      path = null;
    }
    // A head that came too slowly is not malformed: its reason stands alone, as on the admin and stream listeners.
    String reason = error == ProxyError.REQUEST_TIMEOUT ? why : "malformed request: " + why;
    ctx.unrouted().refuse(req, start, ProxyHandler.newRequestId(), path, error, reason, true);
  }

  /** The port actually bound (differs from the setting when it is 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /** Drain: stop accepting, let in-flight requests finish up to the drain timeout, then close. */
  @Override
  public Future<?> stop() {
    loopDelay.stop();
    Future<Void> tlsDrained = tlsServer == null ? Future.succeededFuture()
        : tlsServer.shutdown(settings.proxy().drainTimeoutMs(), TimeUnit.MILLISECONDS);
    return Future.join(server.shutdown(settings.proxy().drainTimeoutMs(), TimeUnit.MILLISECONDS), tlsDrained)
        .eventually(() -> {
          if (accessBuffer != null) {
            accessBuffer.close(); // the last records of this loop, after the drain
          }
          return ctx.pools().close();
        });
  }
}
