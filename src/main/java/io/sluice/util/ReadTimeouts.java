package io.sluice.util;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The time limits Vert.x does not keep on an HTTP/1.x listener, for the admin and stream listeners (the proxy keeps
 * its own): a request head must arrive whole within {@code headerMs} of its first byte (a total, so a head sent a
 * byte at a time cannot hold the connection), a request body may not fall silent for longer than {@code bodyMs}, and
 * a connection with no request under way is closed after {@code idleMs} of nothing. A head or body too slow is
 * answered 408 with the listener's own JSON and {@code Connection: close} while its request has no answer yet, and
 * the connection closed lingering ({@link LingeringClose}: what the client still sends is read and dropped, so it
 * cannot reset the 408 away); with an answer under way, it is closed at once. Time the server itself holds a request
 * (a handler at work, a paused read) is never counted against the client. A connection upgraded to a WebSocket
 * leaves these limits behind: an open stream is not idle, and its liveness is the stream's own pings.
 *
 * <p>Installed from the server's {@code connectionHandler}, which Vert.x calls as an HTTP/1.x connection opens (with
 * h2c enabled it calls it only once a first head has been decoded, so these listeners turn h2c off). It places two
 * handlers by Vert.x's names in the channel pipeline: one ahead of {@code httpDecoder} that sees the bytes, one
 * ahead of {@code handler} that sees the decoded requests and the answers.
 */
public final class ReadTimeouts {

  /** The limits of one listener; {@code idleMs} 0 never closes an idle connection. */
  public record Limits(long headerMs, long bodyMs, long idleMs) {}

  private static final String DECODER = "httpDecoder";
  private static final String VERTX_HANDLER = "handler";
  private static final String BYTES = "sluiceReadTimeoutsBytes";
  private static final String MESSAGES = "sluiceReadTimeouts";

  private ReadTimeouts() {}

  /**
   * Watches {@code connection} (an HTTP/1.x one; others are left as they are). {@code answer} makes the JSON body of
   * a 408 from its reason.
   */
  public static void install(HttpConnection connection, Limits limits, Function<String, String> answer) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    if (pipeline.get(DECODER) == null || pipeline.get(VERTX_HANDLER) == null || pipeline.get(MESSAGES) != null) {
      return;
    }
    Watch watch = new Watch(limits, answer);
    pipeline.addBefore(DECODER, BYTES, watch.bytes);
    pipeline.addBefore(VERTX_HANDLER, MESSAGES, watch);
  }

  /** What is under way on one connection, and the one deadline that applies to it. */
  private static final class Watch extends ChannelDuplexHandler {

    private enum Phase { IDLE, HEAD, BODY, BUSY, DONE }

    private final Limits limits;
    private final Function<String, String> answer;
    private final ChannelInboundHandlerAdapter bytes = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.DONE) {
          ReferenceCountUtil.release(msg); // refused: nothing more is read
          return;
        }
        if (msg instanceof ByteBuf buf && buf.isReadable()) {
          received();
        }
        ctx.fireChannelRead(msg);
      }
    };
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.IDLE;
    private ScheduledFuture<?> deadline;
    /** Requests decoded whose answer has not ended. */
    private int unanswered;
    /** An answer's head went out and its end has not. */
    private boolean answering;
    /** System.nanoTime() of the last bytes of the body being read. */
    private long lastBodyBytes;

    Watch(Limits limits, Function<String, String> answer) {
      this.limits = limits;
      this.answer = answer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
      idle();
    }

    /** Bytes came in: a head starts, or the body being read moves. */
    private void received() {
      if (phase == Phase.BODY) {
        lastBodyBytes = System.nanoTime();
      } else if (phase == Phase.IDLE || phase == Phase.BUSY) {
        phase = Phase.HEAD;
        arm(limits.headerMs());
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (phase == Phase.DONE) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpRequest) {
        unanswered++;
        phase = Phase.BODY;
        lastBodyBytes = System.nanoTime();
        arm(limits.bodyMs());
      }
      if (msg instanceof LastHttpContent && phase == Phase.BODY) {
        phase = Phase.BUSY;
        if (unanswered == 0) {
          idle(); // answered before its body ended (a refusal)
        } else {
          cancel();
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse response) {
        int status = response.status().code();
        if (status == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
          leave(); // a WebSocket from here on
        } else if (status >= 200) {
          answering = true;
        }
        if (status < 200) {
          ctx.write(msg, promise); // 100 Continue: no answer yet
          return;
        }
      }
      if (msg instanceof LastHttpContent && answering) {
        answering = false;
        unanswered = Math.max(0, unanswered - 1);
        if (unanswered == 0 && phase == Phase.BUSY) {
          idle();
        }
      }
      ctx.write(msg, promise);
    }

    /** A connection with nothing under way: closed after idleMs unless bytes come. */
    private void idle() {
      phase = Phase.IDLE;
      arm(limits.idleMs());
    }

    private void arm(long ms) {
      cancel();
      if (ms > 0) {
        deadline = ctx.executor().schedule(this::expired, ms, TimeUnit.MILLISECONDS);
      }
    }

    private void cancel() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }

    private void expired() {
      deadline = null;
      switch (phase) {
        case IDLE -> {
          phase = Phase.DONE;
          ctx.close();
        }
        case HEAD -> refuse(0, "the request head did not arrive whole within " + limits.headerMs() + " ms");
        case BODY -> {
          long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastBodyBytes);
          if (silentMs < limits.bodyMs()) {
            arm(limits.bodyMs() - silentMs);
          } else if (!ctx.channel().config().isAutoRead()) {
            arm(limits.bodyMs()); // the server paused reading: the silence is its own, not the client's
          } else {
            refuse(1, "the request body stalled: nothing received for " + limits.bodyMs() + " ms");
          }
        }
        default -> { }
      }
    }

    /**
     * Ends the connection, with a 408 naming {@code reason} when the request being read has no answer yet: no
     * answer has started and the only unanswered requests are {@code reading} (1 while its body is read, 0 while
     * its head is), else without a word.
     */
    private void refuse(int reading, String reason) {
      phase = Phase.DONE;
      if (answering || unanswered != reading) {
        ctx.close();
        return;
      }
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT,
          Unpooled.copiedBuffer(answer.apply(reason), StandardCharsets.UTF_8));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
          .set(HttpHeaderNames.CONNECTION, "close");
      // Closed lingering: a client still sending (a head trickled, a body resumed) would otherwise make the kernel
      // answer its next bytes with a reset, which can discard the 408 before it is read.
      ctx.writeAndFlush(r).addListener(written -> {
        if (written.isSuccess()) {
          LingeringClose.close(ctx.channel());
        } else {
          ctx.close();
        }
      });
    }

    /** The connection became a WebSocket: no limit of these applies any more. */
    private void leave() {
      phase = Phase.DONE;
      cancel();
      ChannelPipeline pipeline = ctx.pipeline();
      if (pipeline.get(BYTES) != null) {
        pipeline.remove(BYTES);
      }
      pipeline.remove(this);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      phase = Phase.DONE;
      cancel();
      ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      cancel();
    }
  }
}
