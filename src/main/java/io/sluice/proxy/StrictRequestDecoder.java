package io.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x's request decoder, made strict where Netty is lenient: Netty quietly drops Content-Length when
 * Transfer-Encoding is also present (RFC 9112 allows that), which lets a smuggling attempt through as a
 * well-formed chunked request. A gateway refuses it instead: the decoder fails the request, so it is
 * answered 400 and its connection closed before anything reaches a target.
 *
 * <p>It also refuses what {@link FramingScanner} finds in the raw bytes ahead of the decoder (obs-fold, control
 * bytes in the request line, versions other than 1.0 and 1.1, too many header fields, chunk sizes that
 * overflow), more than one Host, and an empty header name. A refused head becomes an invalid request (the
 * listener answers it and closes the connection); a refused chunk fails the request's body, which the
 * exchange answers 400 without counting it against a target. Nothing after a refusal is decoded.
 *
 * <p>A request head must be whole within {@code proxy.header_timeout_ms} of its first byte, else it is answered 408
 * and the connection closed (a head trickled a byte at a time cannot hold a connection; the idle timeout only cuts
 * silence). The deadline is armed only when a read ends with a head begun and not whole: a head that arrives in one
 * read, the common case, costs no timer and no clock read. A keep-alive connection's next head starts its own.
 *
 * <p>Installed in place of Vert.x's own decoder when a connection opens, before any byte is decoded. This
 * reaches into Vert.x internals ({@code VertxHttpRequestDecoder}, {@code ConnectionBase}); the raw-socket
 * tests fail loudly if an upgrade changes them.
 *
 * <p>The admin and stream listeners install it too ({@link #install}): a body length given twice there reads as
 * differently to a client or an intermediary as it does on the proxy, and their invalid-request handlers answer its
 * refusals in their own JSON and close the connection.
 */
public final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  /** Most header fields in a request to the admin and stream listeners, which have no setting: the proxy's default. */
  public static final int LISTENER_MAX_HEADERS = 100;

  /** The name Vert.x gives its decoder in the channel pipeline. */
  static final String DECODER = "httpDecoder";
  /** Set on a connection closing after a refusal (see refuseRest). */
  private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("sluice.refused");

  private final FramingScanner scanner;
  /** A refusal was given: everything after it is discarded. */
  private boolean refused;
  /** proxy.header_timeout_ms. */
  private final long headerTimeoutMs;
  /** Bytes of a head arrived and the head is not decoded yet. */
  private boolean headBegun;
  /** Armed while a head is begun across reads; null otherwise. */
  private ScheduledFuture<?> headDeadline;

  StrictRequestDecoder(HttpServerOptions options, int maxHeaders, long headerTimeoutMs) {
    super(options);
    this.scanner = new FramingScanner(maxHeaders);
    this.headerTimeoutMs = headerTimeoutMs;
  }

  /** Content-Length and Host fields in the message being decoded; reset when a new message starts. */
  private int contentLengths;
  private int hosts;

  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    contentLengths = 0;
    hosts = 0;
    return super.createMessage(initialLine);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (refused) {
      buffer.skipBytes(buffer.readableBytes());
      return;
    }
    boolean inHead = !bodyStarted;
    headBegun |= inHead;
    try {
      scanner.scan(buffer);
    } catch (FramingScanner.Refused e) {
      refuse(buffer, out, e, inHead);
      return;
    }
    int before = out.size();
    int reader = buffer.readerIndex();
    super.decode(ctx, buffer, out);
    scanner.consumed(buffer.readerIndex() - reader);
    for (int i = before; i < out.size(); i++) {
      Object o = out.get(i);
      if (o instanceof HttpMessage m) {
        if (m.decoderResult().isFailure()) {
          refused = true;
          return;
        }
        bodyStarted = true;
        headDecoded();
        scanner.headDecoded(HttpUtil.isTransferEncodingChunked(m));
      }
      if (o instanceof HttpContent c && c.decoderResult().isFailure()) {
        refused = true;
        return;
      }
      if (o instanceof LastHttpContent) {
        bodyStarted = false;
        scanner.messageDone();
      }
    }
    if (headBegun && !bodyStarted && headDeadline == null && headerTimeoutMs > 0) {
      headDeadline = ctx.executor().schedule(() -> headExpired(ctx), headerTimeoutMs, TimeUnit.MILLISECONDS);
    }
  }

  private void headDecoded() {
    headBegun = false;
    if (headDeadline != null) {
      headDeadline.cancel(false);
      headDeadline = null;
    }
  }

  /**
   * The head begun {@code proxy.header_timeout_ms} ago is still not whole: answered 408 as an invalid request (the
   * listener closes the connection) and nothing more is decoded. While the server itself holds the connection's reads
   * (a request before it still at work), the time is not the client's: the deadline starts again.
   */
  private void headExpired(ChannelHandlerContext ctx) {
    headDeadline = null;
    if (refused || !headBegun || bodyStarted || !ctx.channel().isActive()) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      headDeadline = ctx.executor().schedule(() -> headExpired(ctx), headerTimeoutMs, TimeUnit.MILLISECONDS);
      return;
    }
    refused = true;
    HttpMessage invalid = createInvalidMessage();
    invalid.setDecoderResult(DecoderResult.failure(new FramingScanner.Refused(408,
        "the request head did not arrive whole within " + headerTimeoutMs + " ms")));
    ctx.fireChannelRead(invalid);
    ctx.fireChannelReadComplete();
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    headDecoded(); // closed, or replaced by HTTP/2: no deadline outlives the decoder
    super.handlerRemoved0(ctx);
  }

  /** Whether the decoder is past the head of the current message. */
  private boolean bodyStarted;

  /** Answers what the scanner refused: an invalid request in place of a head, a failed body otherwise. */
  private void refuse(ByteBuf buffer, List<Object> out, FramingScanner.Refused cause, boolean inHead) {
    refused = true;
    buffer.skipBytes(buffer.readableBytes());
    if (inHead) {
      HttpMessage invalid = createInvalidMessage();
      invalid.setDecoderResult(DecoderResult.failure(cause));
      out.add(invalid);
    } else {
      LastHttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
      failed.setDecoderResult(DecoderResult.failure(cause));
      out.add(failed);
    }
  }

  /**
   * Counts Content-Length fields as they are read: Netty keeps the first of several for HTTP/1.0 (and folds
   * equal ones for 1.1), which would let two parsers disagree on where the body ends.
   */
  @Override
  protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
    if (length == 0) {
      throw new IllegalArgumentException("empty header name");
    }
    AsciiString name = super.splitHeaderName(sb, start, length);
    if (name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH) && ++contentLengths > 1) {
      throw new IllegalArgumentException("more than one Content-Length");
    }
    if (name.contentEqualsIgnoreCase(HttpHeaderNames.HOST) && ++hosts > 1) {
      throw new IllegalArgumentException("more than one Host");
    }
    return name;
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("both Content-Length and Transfer-Encoding");
  }

  /**
   * Nothing more on {@code connection} is decoded or handled: its last answer refused a request whose body may
   * still be arriving, and the connection is being closed. A close is not immediate on every transport (io_uring
   * closes once the answer's write completes), and neither the bytes already read nor a request Vert.x already
   * decoded from them may become a request in the meantime ({@link #refusedOn}).
   */
  static void refuseRest(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      base.channel().attr(REFUSED).set(Boolean.TRUE);
      if (base.channel().pipeline().get(DECODER) instanceof StrictRequestDecoder decoder) {
        decoder.refused = true;
      }
    }
  }

  /** Whether {@code connection} is closing after a refusal: a request on it is dropped unanswered. */
  static boolean refusedOn(HttpConnection connection) {
    return connection instanceof ConnectionBase base && base.channel().hasAttr(REFUSED);
  }

  /**
   * A TLS connection just past its handshake: its first head must be whole within {@code remainingMs} (what is left of
   * proxy.header_timeout_ms since the connection was accepted), whether a byte of it has come or not: a TLS record
   * trickled holds its bytes in the TLS layer, and the deadline armed by a head begun would never start. It is that
   * same deadline, armed now: cancelled when the head is decoded, 408 if it is not in time. Nothing when the
   * connection has no strict decoder (not HTTP/1.x).
   */
  static void firstHeadWithin(ChannelPipeline pipeline, long remainingMs) {
    ChannelHandlerContext ctx = pipeline.context(DECODER);
    if (ctx != null && ctx.handler() instanceof StrictRequestDecoder d && d.headerTimeoutMs > 0
        && d.headDeadline == null && !d.refused) {
      d.headBegun = true;
      d.headDeadline = ctx.executor().schedule(() -> d.headExpired(ctx), remainingMs, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Swaps the strict decoder in on a new HTTP/1.x connection (from a listener's {@code connectionHandler}).
   * {@code headerTimeoutMs} 0: no head deadline here (the admin and stream listeners keep theirs in ReadTimeouts).
   */
  public static void install(HttpConnection connection, HttpServerOptions options, int maxHeaders,
      long headerTimeoutMs) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(DECODER) != null) {
        pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options, maxHeaders, headerTimeoutMs));
      }
    }
  }
}
