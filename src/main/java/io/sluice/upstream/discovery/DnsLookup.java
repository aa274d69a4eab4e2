package io.sluice.upstream.discovery;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.sluice.settings.HostPort;
import io.sluice.settings.NodeSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * DNS queries that give the records with their TTL (what Vert.x's resolver does not): A and AAAA of a name,
 * SRV of a name. Netty's asynchronous resolver on one small event loop of its own, without caches (each TTL is
 * the discovery's to honour); answers are handed back on the caller's Vert.x context.
 */
final class DnsLookup implements AutoCloseable {

  /** The addresses of a name and the smallest TTL among their records. */
  record Addresses(List<String> ips, long ttlS) {}

  /** One SRV record. */
  record Srv(int priority, int weight, int port, String target, long ttlS) {}

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final DnsNameResolver resolver;

  DnsLookup(NodeSettings.Discovery settings) {
    DnsNameResolverBuilder b = new DnsNameResolverBuilder(group.next())
        .datagramChannelType(NioDatagramChannel.class)
        .queryTimeoutMillis(settings.dnsTimeoutMs())
        .resolveCache(NoopDnsCache.INSTANCE)
        .cnameCache(NoopDnsCnameCache.INSTANCE)
        .recursionDesired(true);
    List<InetSocketAddress> servers = servers(settings.dnsServers());
    b.nameServerProvider(servers.isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
        : new SequentialDnsServerAddressStreamProvider(servers.toArray(InetSocketAddress[]::new)));
    this.resolver = b.build();
  }

  /** "host[:port],..." (port 53 by default; an IPv6 address in brackets), as discovery.dns_servers was checked. */
  static List<InetSocketAddress> servers(String list) {
    return HostPort.parseList(list, 53).stream().map(h -> new InetSocketAddress(h.host(), h.port())).toList();
  }

  /** A and AAAA records of {@code name}; fails when there are neither. */
  Future<Addresses> addresses(Context context, String name) {
    Future<List<DnsRecord>> a = query(context, name, DnsRecordType.A);
    Future<List<DnsRecord>> aaaa = query(context, name, DnsRecordType.AAAA);
    return Future.join(a, aaaa).transform(ar -> {
      List<String> ips = new ArrayList<>();
      long ttl = Long.MAX_VALUE;
      for (Future<List<DnsRecord>> f : List.of(a, aaaa)) {
        if (f.succeeded()) {
          for (DnsRecord r : f.result()) {
            ips.add(ip(r));
            ttl = Math.min(ttl, r.timeToLive());
          }
        }
      }
      if (ips.isEmpty()) {
        Throwable cause = a.failed() ? a.cause() : new UnknownHostException("no A or AAAA record for " + name);
        return Future.failedFuture(cause);
      }
      return Future.succeededFuture(new Addresses(ips, ttl));
    });
  }

  /** SRV records of {@code name}. */
  Future<List<Srv>> srv(Context context, String name) {
    return query(context, name, DnsRecordType.SRV).map(records -> records.stream().map(DnsLookup::srv).toList());
  }

  private Future<List<DnsRecord>> query(Context context, String name, DnsRecordType type) {
    Promise<List<DnsRecord>> promise = Promise.promise();
    resolver.resolveAll(new DefaultDnsQuestion(name, type)).addListener(f -> {
      // Decode on the DNS thread (the records are released there), complete on the caller's context.
      Object result;
      if (f.isSuccess()) {
        @SuppressWarnings("unchecked")
        List<DnsRecord> raw = (List<DnsRecord>) f.getNow();
        List<DnsRecord> copies = new ArrayList<>();
        try {
          for (DnsRecord r : raw) {
            if (r.type().equals(type) && r instanceof DnsRawRecord rr) {
              copies.add(rr.copy());
            }
          }
        } finally {
          raw.forEach(ReferenceCountUtil::release);
        }
        result = copies;
      } else {
        result = f.cause();
      }
      context.runOnContext(v -> {
        if (result instanceof Throwable t) {
          promise.fail(t);
        } else {
          @SuppressWarnings("unchecked")
          List<DnsRecord> list = (List<DnsRecord>) result;
          promise.complete(list);
        }
      });
    });
    return promise.future();
  }

  private static String ip(DnsRecord r) {
    ByteBuf c = ((DnsRawRecord) r).content();
    byte[] b = new byte[c.readableBytes()];
    c.getBytes(c.readerIndex(), b);
    ReferenceCountUtil.release(r);
    try {
      return InetAddress.getByAddress(b).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("a malformed address record of " + r.name(), e);
    }
  }

  private static Srv srv(DnsRecord r) {
    ByteBuf c = ((DnsRawRecord) r).content().duplicate();
    try {
      int priority = c.readUnsignedShort();
      int weight = c.readUnsignedShort();
      int port = c.readUnsignedShort();
      String target = DefaultDnsRecordDecoder.decodeName(c);
      if (target.endsWith(".")) {
        target = target.substring(0, target.length() - 1);
      }
      return new Srv(priority, weight, port, target, r.timeToLive());
    } finally {
      ReferenceCountUtil.release(r);
    }
  }

  @Override
  public void close() {
    resolver.close();
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
  }
}
