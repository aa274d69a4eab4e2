package io.sluice.util;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;

/**
 * A request body Netty cannot decode (a chunk size that is not hexadecimal, or too large) on a listener of Vert.x's own
 * decoder (admin, stream): answered 400 in the JSON error shape, in the pipeline, and the connection closed. Vert.x
 * would close the connection at once from its exception path and drop any answer written meanwhile (writes made while a
 * read is handled are flushed when it completes, after the close): the client saw the connection end with no answer.
 */
public final class MalformedBodies {

  /** The longest part of the decoder's reason that is answered (it names the problem, never a header's value). */
  private static final int MAX_REASON = 200;

  private MalformedBodies() {}

  /** From the server's {@code connectionHandler}. */
  public static void guard(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(BodyGuard.VERTX_HANDLER) != null && pipeline.get(BodyGuard.NAME) == null) {
        pipeline.addBefore(BodyGuard.VERTX_HANDLER, BodyGuard.NAME, new BodyGuard());
      }
    }
  }

  /** The decoder's reason, bounded. */
  public static String reason(Throwable cause) {
    String m = cause == null || cause.getMessage() == null ? "malformed request" : cause.getMessage();
    return m.length() > MAX_REASON ? m.substring(0, MAX_REASON) + "..." : m;
  }

  /** The error shape of the admin API, the stream and the proxy, with the reason as the field "(request)". */
  public static String body(int status, String code, String message, String reason) {
    return new JsonObject().put("error", new JsonObject().put("status", status).put("code", code)
        .put("message", message).put("fields", new JsonArray()
            .add(new JsonObject().put("field", "(request)").put("reason", reason)))).encode();
  }

  /**
   * Between Netty's HTTP/1.x codec and Vert.x's handler: a body chunk that failed to decode, while the request has
   * no answer yet, is answered 400 in JSON and the connection closed (the request's handlers then see it closed).
   * Once an answer has started (a 401 to a request whose body was still arriving), it is flushed, then the close.
   */
  private static final class BodyGuard extends ChannelDuplexHandler {
    static final String NAME = "sluiceMalformedBody";
    static final String VERTX_HANDLER = "handler";

    private boolean answered;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        answered = false;
      } else if (msg instanceof HttpContent content && content.decoderResult().isFailure() && answered) {
        // An answer written already (the stream's 426, a 401 to a body still arriving) goes out, then the close;
        // passed on, Vert.x closed at once and the answer, written in this same read, never left.
        ReferenceCountUtil.release(msg);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        return;
      } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
        String json = body(400, "invalid", "the request body is not valid HTTP/1.1",
            reason(content.decoderResult().cause()));
        ReferenceCountUtil.release(msg);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
            Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes()).set(HttpHeaderNames.CONNECTION, "close");
        answered = true;
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (msg instanceof HttpResponse) {
        answered = true;
      }
      super.write(ctx, msg, promise);
    }
  }
}
