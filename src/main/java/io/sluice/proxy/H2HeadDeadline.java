package io.sluice.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameTypes;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code proxy.header_timeout_ms} on an HTTP/2 connection: a header block (a HEADERS frame and its CONTINUATIONs)
 * must be read whole within that time of the read that left it unfinished, else the connection ends with GOAWAY
 * ENHANCE_YOUR_CALM. Netty holds an unfinished block without limit, and each CONTINUATION trickled keeps the
 * connection from being idle. The stream has no request yet, so there is nothing to answer 408.
 *
 * <p>Over TLS the connection's opening is timed as well: the client's preface and SETTINGS must be read within what
 * is left of that time since the connection was accepted ({@code ProxyVerticle.handshaken}), else the same GOAWAY. One
 * timer, armed once the handshake is done and cancelled by the first read that completes them.
 *
 * <p>Checked at the end of each read of the connection (not per request): two fields of Netty's frame reader, read
 * through VarHandles; a timer only while a block is unfinished across reads. Netty's reader keeps them private; if an
 * upgrade moves them, this is skipped with one warning and {@code SlowHeadsH2Test} fails.
 */
final class H2HeadDeadline extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(H2HeadDeadline.class);
  private static final String NAME = "sluiceH2HeadDeadline";
  private static final VarHandle CONTINUATION;
  private static final VarHandle READING_FRAME_HEADER;
  private static final VarHandle FRAME_TYPE;
  private static final VarHandle DELEGATE;
  private static final VarHandle FRAME_READER;

  static {
    VarHandle[] h = new VarHandle[5];
    try {
      MethodHandles.Lookup reader =
          MethodHandles.privateLookupIn(DefaultHttp2FrameReader.class, MethodHandles.lookup());
      Class<?> continuation = Class.forName(DefaultHttp2FrameReader.class.getName() + "$HeadersContinuation");
      h[0] = reader.findVarHandle(DefaultHttp2FrameReader.class, "headersContinuation", continuation);
      h[1] = reader.findVarHandle(DefaultHttp2FrameReader.class, "readingHeaders", boolean.class);
      h[2] = reader.findVarHandle(DefaultHttp2FrameReader.class, "frameType", byte.class);
      h[3] = MethodHandles.privateLookupIn(DecoratingHttp2ConnectionDecoder.class, MethodHandles.lookup())
          .findVarHandle(DecoratingHttp2ConnectionDecoder.class, "delegate",
              io.netty.handler.codec.http2.Http2ConnectionDecoder.class);
      h[4] = MethodHandles.privateLookupIn(DefaultHttp2ConnectionDecoder.class, MethodHandles.lookup())
          .findVarHandle(DefaultHttp2ConnectionDecoder.class, "frameReader",
              io.netty.handler.codec.http2.Http2FrameReader.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("HTTP/2: cannot watch Netty's frame reader ({}); a trickled header block is not timed", e.toString());
      h = new VarHandle[5];
    }
    CONTINUATION = h[0];
    READING_FRAME_HEADER = h[1];
    FRAME_TYPE = h[2];
    DELEGATE = h[3];
    FRAME_READER = h[4];
  }

  private final DefaultHttp2FrameReader reader;
  private final Http2ConnectionHandler h2;
  private final long timeoutMs;
  private ScheduledFuture<?> deadline;
  /** Armed until the client's preface and SETTINGS are read; null otherwise. */
  private ScheduledFuture<?> opening;

  private H2HeadDeadline(DefaultHttp2FrameReader reader, Http2ConnectionHandler h2, long timeoutMs) {
    this.reader = reader;
    this.h2 = h2;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Watches the HTTP/2 connection of {@code pipeline} (before its first frame is read); nothing on HTTP/1.x.
   * {@code openingMs} above 0: the client's preface and SETTINGS must be read within that time.
   */
  static void install(ChannelPipeline pipeline, long timeoutMs, long openingMs) {
    Http2ConnectionHandler h2 = pipeline.get(Http2ConnectionHandler.class);
    if (h2 == null || FRAME_READER == null || pipeline.get(NAME) != null) {
      return;
    }
    Object decoder = h2.decoder();
    while (decoder instanceof DecoratingHttp2ConnectionDecoder) {
      decoder = DELEGATE.get(decoder);
    }
    Object reader = decoder instanceof DefaultHttp2ConnectionDecoder d ? FRAME_READER.get(d) : null;
    if (reader instanceof H2MalformedStreams guard) {
      reader = guard.delegate();
    }
    if (reader instanceof DefaultHttp2FrameReader r) {
      H2HeadDeadline watch = new H2HeadDeadline(r, h2, timeoutMs);
      pipeline.addBefore(pipeline.context(h2).name(), NAME, watch);
      if (openingMs > 0 && !h2.decoder().prefaceReceived()) {
        ChannelHandlerContext ctx = pipeline.context(watch);
        watch.opening = ctx.executor().schedule(() -> watch.openingExpired(ctx), openingMs, TimeUnit.MILLISECONDS);
      }
    } else {
      LOG.debug("HTTP/2: no default frame reader; a trickled header block is not timed");
    }
  }

  /** A header block begun and not ended: waiting for a CONTINUATION, or a HEADERS/CONTINUATION payload cut. */
  private boolean blockUnfinished() {
    if (CONTINUATION.get(reader) != null) {
      return true;
    }
    byte type = (byte) FRAME_TYPE.get(reader);
    return !(boolean) READING_FRAME_HEADER.get(reader)
        && (type == Http2FrameTypes.HEADERS || type == Http2FrameTypes.CONTINUATION);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (opening != null && h2.decoder().prefaceReceived()) {
      opening.cancel(false);
      opening = null;
    }
    if (blockUnfinished()) {
      if (deadline == null) {
        deadline = ctx.executor().schedule(() -> expired(ctx), timeoutMs, TimeUnit.MILLISECONDS);
      }
    } else if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
    ctx.fireChannelReadComplete();
  }

  private void expired(ChannelHandlerContext ctx) {
    deadline = null;
    if (!ctx.channel().isActive() || !blockUnfinished()) {
      return;
    }
    end(ctx, "a header block did not arrive whole within %d ms");
  }

  /** The client's preface and SETTINGS were not read in time (a TLS record trickled, or nothing sent). */
  private void openingExpired(ChannelHandlerContext ctx) {
    opening = null;
    if (ctx.channel().isActive() && !h2.decoder().prefaceReceived()) {
      end(ctx, "the connection's preface and SETTINGS did not arrive within %d ms");
    }
  }

  private void end(ChannelHandlerContext ctx, String why) {
    LOG.debug("HTTP/2 connection ended: " + why.replace("%d", "{}"), timeoutMs);
    ChannelHandlerContext h2ctx = ctx.pipeline().context(h2);
    if (h2ctx != null) {
      h2.onError(h2ctx, false, Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, why, timeoutMs));
    } else {
      ctx.close();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
    if (opening != null) {
      opening.cancel(false);
      opening = null;
    }
  }
}
