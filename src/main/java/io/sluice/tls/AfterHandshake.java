package io.sluice.tls;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLEngine;

/**
 * Runs an action on a TLS connection's pipeline once its handshake is done and Vert.x has set the pipeline up for the
 * protocol ALPN chose, before a byte of application data is read. A server's connection handler comes too late for
 * HTTP/2: Vert.x calls it once the client's SETTINGS are read, in the middle of the connection's first read (the
 * preface, SETTINGS and first requests often arrive in one TLS record), and an error before them (a corrupt preface)
 * comes before it altogether.
 *
 * <p>The end of the handshake is the earliest point: Netty's {@link SslHandler} completes its handshake promise, then
 * fires the completion event on which Vert.x sets the pipeline up, then hands on what it decrypted. A listener on the
 * promise puts a handler right behind the {@code SslHandler}; that handler passes the event on (Vert.x sets up),
 * runs the action, and leaves the pipeline. The context wraps each server {@code SslHandler} as it is made
 * ({@link ServerContexts}); {@code H2FrameAbuseTlsTest} fails if a Netty or Vert.x upgrade changes the order.
 *
 * <p>The action also learns when the connection was accepted (its {@code SslHandler} is made as the channel is set
 * up): one clock read per connection, for a deadline that counts the handshake in ({@code SlowHeadsTlsTest}).
 */
final class AfterHandshake extends DelegatingSslContext {

  private static final String NAME = "sluiceAfterHandshake";

  private final TlsOptions.Handshaken action;

  private AfterHandshake(SslContext server, TlsOptions.Handshaken action) {
    super(server);
    this.action = action;
  }

  /** {@code server}, running {@code action} (null: nothing) on each of its connections as above. */
  static SslContext wrap(SslContext server, TlsOptions.Handshaken action) {
    return action == null ? server : new AfterHandshake(server, action);
  }

  @Override
  protected void initEngine(SSLEngine engine) {
    // Nothing: the engine is configured by the contexts inside and around this one.
  }

  @Override
  protected void initHandler(SslHandler handler) {
    super.initHandler(handler);
    long accepted = System.nanoTime();
    handler.handshakeFuture().addListener(done -> {
      if (done.isSuccess() && done.getNow() instanceof Channel ch) {
        ChannelHandlerContext tls = ch.pipeline().context(handler);
        if (tls != null && ch.pipeline().get(NAME) == null) {
          ch.pipeline().addAfter(tls.name(), NAME, new Once(action, accepted));
        }
      }
    });
  }

  /** Behind the SslHandler for one event: the end of the handshake. */
  private static final class Once extends ChannelInboundHandlerAdapter {
    private final TlsOptions.Handshaken action;
    private final long accepted;

    Once(TlsOptions.Handshaken action, long accepted) {
      this.action = action;
      this.accepted = accepted;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      ctx.fireUserEventTriggered(evt); // Vert.x sets the pipeline up on this event, before anything is read
      if (evt instanceof SslHandshakeCompletionEvent) {
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.remove(this);
        if (pipeline.channel().isActive()) {
          action.done(pipeline, accepted);
        }
      }
    }
  }
}
