package io.sluice.admin;

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
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.sluice.util.InvalidRequestAnswer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What the HTTP layer refuses before the admin API sees a request, answered in the admin API's JSON error shape
 * instead of Vert.x's bare {@code 400} and without an ERROR line (a client must not be able to write those): a head
 * Netty cannot read (a control byte in a header, both Content-Length and Transfer-Encoding), and a body it cannot
 * (a chunk size that is not hexadecimal).
 */
final class MalformedRequests {

  /** The longest part of the decoder's reason that is answered (it names the problem, never a header's value). */
  private static final int MAX_REASON = 200;

  private MalformedRequests() {}

  /** The server's {@code invalidRequestHandler}: the head did not decode; the connection is closed after the answer. */
  static void head(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
        : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String code = status == 414 ? "uri_too_long" : status == 431 ? "headers_too_large" : "invalid";
    // Netty says "HTTP header is larger than 8192 bytes" of a header section whose headers are each small: the limit
    // is on all of them together, and a request too large is not invalid HTTP.
    String message = status == 431 ? "the request's header section is too large"
        : status == 414 ? "the request line is too long" : "the request is not valid HTTP/1.1";
    String reason = status == 431 ? headerSectionReason(cause) : reason(cause);
    InvalidRequestAnswer.inHttp11(request); // not the HTTP/1.0 Netty stands an unreadable request in as
    request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(body(status, code, message, reason));
  }

  /**
   * A router failure whose status is no error status: Vert.x Web's BodyHandler reports a body the connection could
   * not read with 200 and the decoder's cause (a DecoderException alone becomes 400), which no error handler takes,
   * so the router would log it as an ERROR. Answered 400 while the connection can still carry an answer.
   */
  static boolean unreadableBody(RoutingContext rc) {
    if (rc.statusCode() <= 0 || rc.statusCode() >= 400) {
      return false;
    }
    if (!rc.response().headWritten() && !rc.response().closed()) {
      rc.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CONNECTION, "close")
          .end(body(400, "invalid", "the request body is not valid HTTP/1.1", reason(rc.failure())));
    }
    return true;
  }

  /**
   * The server's {@code connectionHandler}: a body Netty cannot decode is answered here, in the pipeline. Vert.x
   * would close the connection at once from its exception path, dropping any answer written meanwhile (writes
   * made while a read is handled are flushed when it completes, after the close). A request in another version than
   * HTTP/1.0 and 1.1 is made an invalid request, answered by {@link #head}.
   */
  static void guard(HttpConnection connection) {
    InvalidRequestAnswer.refuseOtherVersions(connection);
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(BodyGuard.VERTX_HANDLER) != null && pipeline.get(BodyGuard.NAME) == null) {
        pipeline.addBefore(BodyGuard.VERTX_HANDLER, BodyGuard.NAME, new BodyGuard());
      }
    }
  }

  /**
   * Between Netty's HTTP/1.x codec and Vert.x's handler: a body chunk that failed to decode, while the request has
   * no answer yet, is answered 400 in JSON and the connection closed (the request's handlers then see it closed).
   * Once an answer has started (a 401 to a request whose body was still arriving), Vert.x closes as it does.
   */
  private static final class BodyGuard extends ChannelDuplexHandler {
    static final String NAME = "sluiceMalformedBody";
    static final String VERTX_HANDLER = "handler";

    private boolean answered;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        answered = false;
      } else if (msg instanceof HttpContent content && content.decoderResult().isFailure() && !answered) {
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

  /** "the header lines together are larger than N bytes", N read from Netty's "HTTP header is larger than N bytes". */
  static String headerSectionReason(Throwable cause) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) bytes")
        .matcher(String.valueOf(cause == null ? null : cause.getMessage()));
    return "the header lines together are larger than " + (m.find() ? m.group(1) + " bytes" : "the listener allows");
  }

  private static String reason(Throwable cause) {
    String m = cause == null || cause.getMessage() == null ? "malformed request" : cause.getMessage();
    return m.length() > MAX_REASON ? m.substring(0, MAX_REASON) + "..." : m;
  }

  private static String body(int status, String code, String message, String reason) {
    return new JsonObject().put("error", new JsonObject().put("status", status).put("code", code)
        .put("message", message).put("fields", new JsonArray()
            .add(new JsonObject().put("field", "(request)").put("reason", reason)))).encode();
  }
}
