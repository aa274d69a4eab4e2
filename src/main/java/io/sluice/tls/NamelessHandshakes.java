package io.sluice.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;

/**
 * The proxy's refusal of a handshake that indicates no server name while no SNI {@code *} answers one: the alert
 * {@code handshake_failure} (40) from either engine. BoringSSL found no certificate for it and sent
 * {@code internal_error}, a fault of the server's in the client's eyes; the JDK's engine sent handshake_failure. A
 * name no SNI matches is refused in the engine with {@code unrecognized_name} ({@link UnrecognizedNames}); a handshake
 * that names nothing has no name to be unrecognized (RFC 6066 section 3), hence handshake_failure.
 *
 * <p>BoringSSL asks nothing of Sluice for a handshake without a name before it looks for a certificate (tcnative calls
 * its SNI matcher only with a name), so the ClientHello is read ahead of the engine: while no SNI * exists, the
 * listener's SslHandler, made here, puts a reader in front of itself (Netty's {@link AbstractSniHandler}), which steps
 * aside once it has read a server name (the SslHandler reads the same bytes), or writes the alert and closes. The
 * refusal is reported as the engine reports its own (a failed {@link SslHandshakeCompletionEvent}), so that
 * {@link TlsMeters} counts it as {@code no_certificate}. With an SNI *, nothing is added to a connection.
 */
final class NamelessHandshakes extends DelegatingSslContext {

  /** Why a handshake is refused here, in words {@link TlsMeters#reason} reads as no_certificate. */
  static final String REFUSED = "no suitable certificate: the client indicated no server name and no SNI * answers"
      + " such a handshake";
  /** The largest ClientHello the reader holds (a usual one is under 2 KiB): a peer cannot make it buffer more. */
  private static final int MAX_CLIENT_HELLO = 64 * 1024;
  /** An alert record: TLS 1.2 record version (as TLS 1.3 writes it too), fatal (2), handshake_failure (40). */
  private static final byte[] HANDSHAKE_FAILURE = {21, 3, 3, 0, 2, 2, 40};

  private final LiveCertificates live;

  private NamelessHandshakes(SslContext server, LiveCertificates live) {
    super(server);
    this.live = live;
  }

  /** {@code server}, its handshakes without a server name refused as above while no SNI * exists. */
  static SslContext wrap(SslContext server, LiveCertificates live) {
    return new NamelessHandshakes(server, live);
  }

  @Override
  protected void initEngine(SSLEngine engine) {
    // Nothing: the engine is configured by the contexts inside this one.
  }

  @Override
  protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls, Executor executor) {
    return reading(super.newHandler(alloc, startTls, executor), startTls, executor);
  }

  @Override
  protected SslHandler newHandler(ByteBufAllocator alloc, String peerHost, int peerPort, boolean startTls,
                                  Executor executor) {
    return reading(super.newHandler(alloc, peerHost, peerPort, startTls, executor), startTls, executor);
  }

  /** {@code made} while an SNI * exists; otherwise a handler of its engine (as configured) that reads ahead. */
  private SslHandler reading(SslHandler made, boolean startTls, Executor executor) {
    return UnrecognizedNames.known(live, null) ? made : new ReadingAhead(made.engine(), startTls, executor, live);
  }

  /** The listener's SslHandler, with the ClientHello reader put in front of it as it joins the pipeline. */
  private static final class ReadingAhead extends SslHandler {
    private final LiveCertificates live;

    ReadingAhead(SSLEngine engine, boolean startTls, Executor executor, LiveCertificates live) {
      super(engine, startTls, executor);
      this.live = live;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
      ctx.pipeline().addBefore(ctx.name(), null, new ClientHelloReader(live));
      super.handlerAdded(ctx);
    }
  }

  /** Reads the server name of the ClientHello: steps aside, or refuses a handshake without one. */
  private static final class ClientHelloReader extends AbstractSniHandler<Boolean> {
    private final LiveCertificates live;

    ClientHelloReader(LiveCertificates live) {
      super(MAX_CLIENT_HELLO, 0); // no timeout of its own: the SslHandler's handshake timeout applies
      this.live = live;
    }

    @Override
    protected Future<Boolean> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) throws Exception {
      // No ClientHello (plain HTTP to the TLS port, say): the SslHandler refuses it in its own words (not_tls).
      return clientHello == null ? ctx.executor().newSucceededFuture(Boolean.TRUE) : super.lookup(ctx, clientHello);
    }

    @Override
    protected Future<Boolean> lookup(ChannelHandlerContext ctx, String hostname) {
      // Checked again now: an SNI * may have come since the connection opened.
      return ctx.executor().newSucceededFuture(hostname != null || UnrecognizedNames.known(live, null));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<Boolean> passes) {
      if (passes.getNow()) {
        ctx.pipeline().remove(this); // what it read goes on to the SslHandler
        return;
      }
      ctx.fireUserEventTriggered(new SslHandshakeCompletionEvent(new SSLHandshakeException(REFUSED)));
      ctx.writeAndFlush(Unpooled.wrappedBuffer(HANDSHAKE_FAILURE)).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
