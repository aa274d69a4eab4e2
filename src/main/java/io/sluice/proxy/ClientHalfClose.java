package io.sluice.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * A client that shuts its sending side once its request is out ({@code nc -N}, {@code socat}, scripts that write a
 * request and call {@code shutdown(SHUT_WR)}) still gets its answer: Netty closed the whole connection at the client's
 * FIN, before the request was even routed, and the client read nothing (nginx, HAProxy and Envoy answer it). With
 * half-closure allowed the connection stays open for writing; the requests already read are answered, and the
 * connection is closed once the last of them is (a client that sent nothing more cannot send another request).
 * A connection idle at the FIN, switched to another protocol (WebSocket), or whose last request is cut short by the
 * FIN (a body short of its length: Netty's decoder leaves that to the close) is closed at once, as before; a head cut
 * short is answered 400 by the decoder.
 *
 * <p>On the proxy's plain HTTP/1.x listener, one per connection, between Vert.x's codec and its handler, where it
 * sees the requests decoded and the answers' messages before they are encoded.
 */
final class ClientHalfClose extends ChannelDuplexHandler {

  private static final String NAME = "sluice-client-half-close";
  /** Vert.x's handler, the last in an HTTP/1.x server connection's pipeline. */
  private static final String VERTX_HANDLER = "handler";

  /** Request heads read on this connection. */
  private long requests;
  /** Requests read to their end (the head of one without a body is its end). */
  private long ended;
  /** Answers whose last part was written. */
  private long answered;
  /** The client shut its side. */
  private boolean inputShut;
  /** A 101 was written: the connection speaks another protocol, whose own handling applies. */
  private boolean switched;

  private ClientHalfClose() {}

  /** On a plain HTTP/1.x connection as it opens (from the listener's {@code connectionHandler}). */
  static void install(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    Channel channel = base.channel();
    if (channel.pipeline().get(VERTX_HANDLER) == null || channel.pipeline().get(StrictRequestDecoder.DECODER) == null
        || channel.pipeline().get(NAME) != null) {
      return; // not HTTP/1.x (or not as Vert.x lays it out): left as it is
    }
    channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    channel.pipeline().addBefore(VERTX_HANDLER, NAME, new ClientHalfClose());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      requests++;
    }
    if (msg instanceof LastHttpContent) {
      ended++;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputShut = true;
      // Idle, switched, or a request cut short by the FIN (its body will not come whole): closed as before. Netty's
      // decoder says nothing of a body cut short at a FIN; it leaves that to the close.
      if (switched || answered >= requests || ended < requests) {
        ctx.close();
        return;
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse head && head.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
      switched |= head.status().code() == 101; // a 100 or 103 is not the answer: its end is not the answer's
    } else if (msg instanceof LastHttpContent) {
      answered++;
      if (inputShut && answered >= requests) {
        ctx.write(msg, promise).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    ctx.write(msg, promise);
  }
}
