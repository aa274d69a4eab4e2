package io.sluice.util;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.impl.WebSocketImplBase;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;

/**
 * A client's WebSocket frame that breaks RFC 6455 (a reserved bit set with no extension agreed, an unmasked frame, a
 * reserved opcode, a fragmented or oversize control frame, a continuation with nothing to continue, a frame over the
 * listener's bound) fails the connection with a close frame that says why (section 7.1.7: 1002 protocol error, 1009
 * message too big, 1007 invalid data, with Netty's reason), then closes it lingering ({@link LingeringClose}: the rest
 * of the frame still arriving is dropped, not answered with a reset that could discard the close frame). Vert.x 5 has
 * Netty's decoder leave such a failure to it and then closes the connection at once, without a close frame: a client
 * saw its socket end (1006) with no reason. Installed ahead of Vert.x's handler on the proxy's and the stream
 * listener's HTTP/1.x connections, and on the proxy's WebSockets to targets; it handles only this exception, so
 * nothing else passes through it (Netty skips a handler for the events it does not override).
 */
@ChannelHandler.Sharable
public final class WebSocketProtocolErrors extends ChannelInboundHandlerAdapter {

  private static final String NAME = "sluiceWebSocketProtocolErrors";
  private static final String VERTX_HANDLER = "handler";
  private static final WebSocketProtocolErrors INSTANCE = new WebSocketProtocolErrors();

  /** A close frame's reason holds at most 123 bytes of UTF-8 (RFC 6455 section 5.5: 125 less the status code). */
  static final int MAX_REASON_BYTES = 123;

  private WebSocketProtocolErrors() {}

  /** Watches {@code connection} (an HTTP/1.x one, before or after its upgrade; others are left as they are). */
  public static void install(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    if (pipeline.get(VERTX_HANDLER) != null && pipeline.get(NAME) == null) {
      pipeline.addBefore(VERTX_HANDLER, NAME, INSTANCE);
    }
  }

  /**
   * Watches a WebSocket already open (the proxy's own to a target): a frame from the target that breaks the protocol
   * is answered to it the same way. Frames the target sent before this ran are decoded without it.
   */
  public static void install(WebSocketBase ws) {
    if (ws instanceof WebSocketImplBase<?> impl && impl.channelHandlerContext() != null) {
      ChannelHandlerContext vertx = impl.channelHandlerContext();
      if (vertx.pipeline().get(NAME) == null) {
        vertx.pipeline().addBefore(vertx.name(), NAME, INSTANCE);
      }
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof CorruptedWebSocketFrameException corrupt)) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    // Not passed on: Vert.x would close the connection before the close frame is out. The decoder drops whatever
    // arrives from here on; Vert.x sees the connection end as a close without a frame (1006), as before.
    if (ctx.channel().isActive()) {
      WebSocketCloseStatus status = corrupt.closeStatus() == null ? WebSocketCloseStatus.PROTOCOL_ERROR
          : corrupt.closeStatus();
      ctx.writeAndFlush(new CloseWebSocketFrame(status, reason(corrupt.getMessage(), status)));
      LingeringClose.close(ctx.channel());
    }
  }

  /** Netty's message (cut to what a close frame holds, on a character's edge), or the status's own. */
  static String reason(String message, WebSocketCloseStatus status) {
    String text = message == null || message.isBlank() ? status.reasonText() : message;
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return text;
    }
    int end = MAX_REASON_BYTES;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--; // not inside a character of several bytes
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }
}
