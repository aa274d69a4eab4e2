package io.sluice.upstream.discovery;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A DNS server on loopback (UDP, Netty's DNS codec) whose A, AAAA and SRV answers a test changes at will. */
final class FakeDns implements AutoCloseable {

  record Srv(int priority, int weight, int port, String target) {}

  final Map<String, List<String>> addresses = new ConcurrentHashMap<>();
  final Map<String, List<Srv>> srv = new ConcurrentHashMap<>();
  final AtomicInteger queries = new AtomicInteger();
  volatile long ttl = 1;

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;

  FakeDns() throws InterruptedException {
    channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
        .handler(new ChannelInitializer<DatagramChannel>() {
          @Override
          protected void initChannel(DatagramChannel ch) {
            ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) throws Exception {
                    ctx.writeAndFlush(answer(query));
                  }
                });
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
  }

  /** "127.0.0.1:port" for discovery.dns_servers. */
  String server() {
    return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
  }

  private DatagramDnsResponse answer(DatagramDnsQuery query) throws Exception {
    queries.incrementAndGet();
    DnsQuestion q = query.recordAt(DnsSection.QUESTION);
    DatagramDnsResponse resp = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
    resp.setRecursionAvailable(true);
    resp.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(q.name(), q.type()));
    String name = q.name().endsWith(".") ? q.name().substring(0, q.name().length() - 1) : q.name();
    List<String> ips = addresses.get(name);
    List<Srv> records = srv.get(name);
    if (ips == null && records == null) {
      resp.setCode(DnsResponseCode.NXDOMAIN);
      return resp;
    }
    if (q.type().equals(DnsRecordType.SRV) && records != null) {
      for (Srv r : records) {
        ByteBuf b = Unpooled.buffer();
        b.writeShort(r.priority()).writeShort(r.weight()).writeShort(r.port());
        for (String label : r.target().split("\\.")) {
          byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
          b.writeByte(bytes.length).writeBytes(bytes);
        }
        b.writeByte(0);
        resp.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), DnsRecordType.SRV, ttl, b));
      }
    } else if (ips != null) {
      for (String ip : ips) {
        InetAddress a = InetAddress.getByName(ip);
        boolean v4 = a instanceof Inet4Address;
        if (v4 == q.type().equals(DnsRecordType.A) && (v4 || q.type().equals(DnsRecordType.AAAA))) {
          resp.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), q.type(), ttl,
              Unpooled.wrappedBuffer(a.getAddress())));
        }
      }
    }
    return resp;
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
  }
}
