package io.sluice.util;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/1.1 connection after a refusal without losing the refusal. A client still sending the body of a
 * refused request (a 413 while it uploads 5 MB) has bytes in flight when the proxy closes; a socket closed with
 * unread data sends a reset, and a reset can discard the answer before the client reads it (RFC 9112 section
 * 9.6). So, as nginx's lingering close does: once the answer is written, the proxy ends its side of the
 * connection (close_notify first on TLS, then a FIN), keeps reading and discarding what still arrives (the
 * proxy's {@code StrictRequestDecoder.refuseRest} already drops it), and closes when the client does or after
 * {@value #LINGER_MS} ms. The admin and stream listeners close the same way after their 408 ({@link ReadTimeouts}).
 */
public final class LingeringClose {

  /** The longest a refused client may keep sending before its connection is closed anyway. */
  public static final long LINGER_MS = 2_000;

  private LingeringClose() {}

  /** Closes {@code connection} once {@code written} (the refusal's end) completes, lingering as above. */
  public static void after(Future<Void> written, HttpConnection connection) {
    written.onComplete(ar -> {
      if (!(connection instanceof ConnectionBase base) || ar.failed() || !lingers(base.channel())) {
        connection.close();
        return;
      }
      close(base.channel());
    });
  }

  /**
   * Closes {@code ch}, lingering as above, once what was written to it is out; for a refusal written at the Netty
   * pipeline's level (the admin and stream listeners' {@code ReadTimeouts}), whose handlers drop what still arrives.
   */
  public static void close(Channel ch) {
    if (!lingers(ch)) {
      ch.close();
      return;
    }
    DuplexChannel duplex = (DuplexChannel) ch;
    ch.eventLoop().schedule(() -> {
      ch.close();
    }, LINGER_MS, TimeUnit.MILLISECONDS);
    // Behind the answer's bytes (writes complete in order): a shut-down output drops what is still queued.
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
      SslHandler tls = ch.pipeline().get(SslHandler.class);
      if (tls != null) {
        tls.closeOutbound().addListener(f -> duplex.shutdownOutput());
      } else {
        duplex.shutdownOutput();
      }
    });
  }

  private static boolean lingers(Channel ch) {
    return ch instanceof DuplexChannel && ch.isActive();
  }
}
