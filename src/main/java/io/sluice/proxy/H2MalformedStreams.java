package io.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameReader;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a malformed HTTP/2 request a <em>stream</em> error when a body follows it. Netty refuses a header block
 * that breaks HTTP/2's rules (a connection-specific header, {@code te: gzip}, an upper-case name, a repeated or unknown
 * pseudo-header, a NUL in a value) while decoding it, before the stream exists: it resets the stream, but the DATA
 * frames the client sends next then name a stream that, as far as Netty knows, never existed, and that is a
 * connection error (GOAWAY PROTOCOL_ERROR) that took every other stream of the connection with it. RFC 9113 5.1 says
 * frames of a stream the endpoint reset are ignored. This reader stands in front of Netty's: when a header block is
 * refused as a stream error, the stream is opened first, so that Netty's reset closes it and its later frames are
 * frames of a closed stream (ignored, a {@code STREAM_CLOSED} reset at most).
 *
 * <p>Installed before the connection's first frame is read: on h2c where {@link H2cPriorKnowledge} switches the
 * pipeline, over TLS once the handshake is done ({@code io.sluice.tls.AfterHandshake}; the connection handler, which
 * installs it too, comes only once the client's SETTINGS are read, in the middle of the first read, and a reader set
 * then takes over only from the next read).
 *
 * <p>Netty gives no way to set the reader of a decoder Vert.x built, so it is set by reflection; if a Netty upgrade
 * moves the field the guard is skipped with one warning, and {@code H2FrameAbuseTest} fails.
 */
final class H2MalformedStreams implements Http2FrameReader {

  private static final Logger LOG = LoggerFactory.getLogger(H2MalformedStreams.class);
  private static final Field READER = field(DefaultHttp2ConnectionDecoder.class, "frameReader");
  private static final Field DELEGATE = field(DecoratingHttp2ConnectionDecoder.class, "delegate");

  private final Http2FrameReader delegate;
  private final Http2Connection connection;

  private H2MalformedStreams(Http2FrameReader delegate, Http2Connection connection) {
    this.delegate = delegate;
    this.connection = connection;
  }

  /** Netty's reader behind this guard. */
  Http2FrameReader delegate() {
    return delegate;
  }

  /** Puts the guard in front of {@code h2}'s frame reader (once). */
  static void install(Http2ConnectionHandler h2) {
    if (READER == null || DELEGATE == null) {
      return;
    }
    try {
      Http2ConnectionDecoder d = h2.decoder();
      while (d instanceof DecoratingHttp2ConnectionDecoder decorating) { // Netty's RST_STREAM flood guard, for one
        d = (Http2ConnectionDecoder) DELEGATE.get(decorating);
      }
      if (!(d instanceof DefaultHttp2ConnectionDecoder decoder)) {
        return;
      }
      Http2FrameReader current = (Http2FrameReader) READER.get(decoder);
      if (!(current instanceof H2MalformedStreams)) {
        READER.set(decoder, new H2MalformedStreams(current, h2.connection()));
      }
    } catch (IllegalAccessException e) {
      LOG.warn("HTTP/2: cannot guard the frame reader ({}); a malformed request with a body ends its connection", e);
    }
  }

  @Override
  public void readFrame(ChannelHandlerContext ctx, ByteBuf input, Http2FrameListener listener) throws Http2Exception {
    try {
      delegate.readFrame(ctx, input, listener);
    } catch (Http2Exception.StreamException e) {
      open(e.streamId());
      throw e;
    }
  }

  /** Opens the stream a refused header block would have opened: a new one from the client, nothing else. */
  private void open(int streamId) {
    Http2Connection.Endpoint<?> remote = connection.remote();
    if (connection.stream(streamId) != null || !remote.isValidStreamId(streamId)
        || streamId <= remote.lastStreamCreated()) {
      return;
    }
    try {
      remote.createStream(streamId, false);
    } catch (Http2Exception e) {
      // Past the concurrent-stream limit or after GOAWAY: Netty refuses it as it would have.
    }
  }

  @Override
  public Configuration configuration() {
    return delegate.configuration();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private static Field field(Class<?> owner, String name) {
    try {
      Field f = owner.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("HTTP/2: Netty's {} has no field {} ({}); a malformed request with a body ends its connection",
          owner.getSimpleName(), name, e.toString());
      return null;
    }
  }
}
