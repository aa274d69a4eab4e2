package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The flushes of an HTTP/2 connection within one event-loop turn become one write to the socket, after the
 * turn, with nothing lost; an HTTP/1.x pipeline is left alone. On a real Netty pipeline with Netty's HTTP/2
 * handler (the effect on throughput is measured by bench/h2.sh, see docs/benchmarks.md).
 */
class H2FlushesTest {

  /** Counts the flushes that reach the socket's end of the pipeline. */
  private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
    int flushes;

    @Override
    public void flush(ChannelHandlerContext ctx) {
      flushes++;
      ctx.flush();
    }
  }

  @Test
  void answers_flushed_in_one_turn_reach_the_socket_in_one_flush_after_it() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    try {
      LocalAddress address = new LocalAddress("h2-flushes-" + System.nanoTime());
      ByteBuf received = Unpooled.buffer();
      CountDownLatch all = new CountDownLatch(1);
      new ServerBootstrap().group(group).channel(LocalServerChannel.class)
          .childHandler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              received.writeBytes((ByteBuf) msg);
              ((ByteBuf) msg).release();
              if (received.toString(StandardCharsets.US_ASCII).endsWith("onetwothree")) {
                all.countDown();
              }
            }
          }).bind(address).sync();
      FlushCounter counter = new FlushCounter();
      Http2ConnectionHandler h2 = new Http2ConnectionHandlerBuilder().server(true)
          .frameListener(new Http2FrameAdapter()).build();
      Channel client = new Bootstrap().group(group).channel(LocalChannel.class)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(counter, h2);
            }
          }).connect(address).sync().channel();
      ChannelPipeline pipeline = client.pipeline();
      int[] flushes = new int[3];
      client.eventLoop().submit(() -> {
        H2Flushes.consolidate(pipeline);
        H2Flushes.consolidate(pipeline);
        flushes[0] = counter.flushes;
        // Three answers ended in one turn (as when three target connections were read), each flushed.
        for (String answer : List.of("one", "two", "three")) {
          pipeline.write(Unpooled.copiedBuffer(answer, StandardCharsets.US_ASCII));
          pipeline.flush();
        }
        flushes[1] = counter.flushes;
      }).get(10, TimeUnit.SECONDS);
      client.eventLoop().submit(() -> flushes[2] = counter.flushes).get(10, TimeUnit.SECONDS);

      List<String> names = pipeline.names();
      assertTrue(names.indexOf(H2Flushes.NAME) >= 0
          && names.indexOf(H2Flushes.NAME) < names.indexOf(pipeline.context(h2).name()),
          "installed between the socket and the HTTP/2 handler: " + names);
      assertEquals(1, names.stream().filter(H2Flushes.NAME::equals).count(), "installed once");
      assertEquals(flushes[0], flushes[1], "no write to the socket during the turn");
      assertEquals(flushes[0] + 1, flushes[2], "one write for the three, once the turn is over");
      assertTrue(all.await(10, TimeUnit.SECONDS), "all three reach the peer, in order");
      client.close().sync();
      received.release();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void a_pipeline_without_http2_is_left_alone() {
    EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
    List<String> before = new ArrayList<>(channel.pipeline().names());
    H2Flushes.consolidate(channel.pipeline());
    assertEquals(before, channel.pipeline().names());
    channel.finishAndReleaseAll();
  }

}
