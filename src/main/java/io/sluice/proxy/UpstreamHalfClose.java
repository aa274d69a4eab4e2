package io.sluice.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * A target that ends its answer by closing (an answer of no length, or {@code Connection: close} after one of declared
 * length) while the answer is paused for a slow client: on io_uring, Netty closed the connection at the target's FIN
 * without reading what was still in the socket, and the answer reached the client cut short (5 MB arrived as 4.3 to
 * 4.8; epoll and NIO read it whole first). With half-closure allowed the channel stays open at the FIN and reads on
 * as the client drains. A connection the target closed while idle is closed here at once, so that the pool never
 * reuses it; one it closed during an answer is closed by {@link AnswerRelay} once the answer is relayed whole. One per
 * connection.
 */
final class UpstreamHalfClose extends ChannelInboundHandlerAdapter {

  private static final String NAME = "sluice-half-close";
  /** An answer's head has come and not yet its end. */
  private boolean answering;
  /** The target closed its side: the connection goes when no answer is under way. */
  private boolean inputShut;
  /** An answer of this connection is on its way to a client (see {@link AnswerRelay}). */
  private boolean relaying;

  private UpstreamHalfClose() {}

  /** On an HTTP/1.x target connection as it opens (HTTP/2 ones have no HTTP/1.x codec and are left as they are). */
  static void install(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    Channel channel = base.channel();
    ChannelHandlerContext codec = channel.pipeline().context(HttpClientCodec.class);
    if (codec == null || channel.pipeline().get(NAME) != null) {
      return;
    }
    channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    channel.pipeline().addAfter(codec.name(), NAME, new UpstreamHalfClose());
  }

  private static UpstreamHalfClose of(HttpConnection connection) {
    return connection instanceof ConnectionBase base
        && base.channel().pipeline().get(NAME) instanceof UpstreamHalfClose h ? h : null;
  }

  /** {@link AnswerRelay} relays an answer of {@code connection} to a client (the connection is not idle meanwhile). */
  static void relaying(HttpConnection connection) {
    UpstreamHalfClose h = of(connection);
    if (h != null) {
      h.relaying = true;
    }
  }

  /**
   * The answer is relayed whole: a connection whose target closed its side is closed now (closed earlier, while the
   * answer still waited for the client, Vert.x failed the answer).
   */
  static void relayed(HttpConnection connection) {
    UpstreamHalfClose h = of(connection);
    if (h != null) {
      h.relaying = false;
      if (h.inputShut) {
        connection.close();
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpResponse) {
      answering = true;
    }
    if (msg instanceof LastHttpContent) {
      answering = false;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (!(event instanceof ChannelInputShutdownEvent)) {
      ctx.fireUserEventTriggered(event);
      return;
    }
    boolean idle = !answering && !relaying;
    inputShut = true;
    // The codec ends an answer delimited by the close at this event; one ended is closed once relayed.
    ctx.fireUserEventTriggered(event);
    if (idle || answering) {
      // Idle in the pool, or waiting for an answer that cannot come now: never reused. Or an answer the codec could
      // not end (chunked, or short of its Content-Length): broken, and the close tells the relay so.
      ctx.close();
    }
  }
}
