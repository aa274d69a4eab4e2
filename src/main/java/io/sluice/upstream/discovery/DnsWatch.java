package io.sluice.upstream.discovery;

import io.sluice.upstream.Endpoint;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the addresses of one declared target of one service current: resolves its name (A and AAAA, or SRV
 * then the A and AAAA of each SRV target), hands the endpoints to the service, and resolves again when the
 * records' TTL runs out (bounded by discovery.dns_min_ttl_s and dns_max_ttl_s). A failed lookup keeps the
 * targets found before and is retried sooner, doubling from the minimum TTL up to the maximum. Confined to
 * the discovery verticle's context.
 */
final class DnsWatch implements Watch {

  private static final Logger LOG = LoggerFactory.getLogger(DnsWatch.class);

  private final Vertx vertx;
  private final Context context;
  private final DnsLookup dns;
  private final Upstream upstream;
  private final int index;
  private final String name;
  private final boolean srv;
  private final int port;
  private final int weight;
  private final long minTtlS;
  private final long maxTtlS;
  private final DiscoveryMeters meters;
  private long retryS;
  private long timer = -1;
  private boolean stopped;
  /** What the last lookup gave, for the log line of a change. */
  private List<Endpoint> last = List.of();

  DnsWatch(Vertx vertx, Context context, DnsLookup dns, Upstream upstream, int index, long minTtlS, long maxTtlS,
           DiscoveryMeters meters) {
    this.vertx = vertx;
    this.context = context;
    this.dns = dns;
    this.upstream = upstream;
    this.index = index;
    String address = upstream.declared().get(index).address();
    this.weight = upstream.declared().get(index).weight();
    this.srv = address.startsWith(Upstream.SRV);
    this.name = srv ? address.substring(Upstream.SRV.length()) : Target.hostOf(address);
    this.port = srv ? 0 : Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    this.minTtlS = minTtlS;
    this.maxTtlS = Math.max(minTtlS, maxTtlS);
    this.meters = meters;
    this.retryS = this.minTtlS;
  }

  @Override
  public void start() {
    resolve();
  }

  @Override
  public void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void resolve() {
    timer = -1;
    if (stopped) {
      return;
    }
    Future<Found> lookup = srv ? viaSrv() : dns.addresses(context, name)
        .map(a -> new Found(split(a.ips(), name, port, weight), a.ttlS()));
    lookup.onComplete(ar -> {
      if (stopped) {
        return;
      }
      long nextS;
      if (ar.succeeded()) {
        retryS = minTtlS;
        List<Endpoint> found = ar.result().endpoints();
        if (upstream.discovered(index, found)) {
          meters.changed(upstream.name());
          LOG.info("service {}: {} now has {} addresses {} (was {})", upstream.name(), label(), found.size(),
              show(found), last.isEmpty() ? "as declared" : show(last));
        }
        last = found;
        nextS = Math.min(maxTtlS, Math.max(minTtlS, ar.result().ttlS()));
      } else {
        meters.failed(upstream.name());
        LOG.warn("service {}: cannot resolve {} ({}); keeping its {} targets, next try in {} s", upstream.name(),
            label(), ar.cause().getMessage(), last.isEmpty() ? "declared" : show(last), retryS);
        nextS = retryS;
        retryS = Math.min(maxTtlS, retryS * 2);
      }
      timer = vertx.setTimer(nextS * 1000, id -> resolve());
    });
  }

  private record Found(List<Endpoint> endpoints, long ttlS) {}

  /**
   * RFC 2782: the records of the lowest priority value, the declared weight split in proportion to theirs
   * (equally when all are 0), each SRV target's addresses splitting its share.
   */
  private Future<Found> viaSrv() {
    return dns.srv(context, name).compose(records -> {
      if (records.isEmpty()) {
        return Future.failedFuture("no SRV record for " + name);
      }
      int best = records.stream().mapToInt(DnsLookup.Srv::priority).min().orElseThrow();
      List<DnsLookup.Srv> used = records.stream().filter(r -> r.priority() == best).toList();
      long total = used.stream().mapToLong(DnsLookup.Srv::weight).sum();
      List<Future<Found>> each = new ArrayList<>();
      for (DnsLookup.Srv r : used) {
        int share = total == 0 ? share(weight, used.size()) : (int) Math.round((double) weight * r.weight() / total);
        int w = weight == 0 ? 0 : Math.max(1, share);
        each.add(dns.addresses(context, r.target()).map(a -> new Found(split(a.ips(), r.target(), r.port(), w),
            Math.min(a.ttlS(), r.ttlS()))));
      }
      return Future.join(each).map(v -> {
        List<Endpoint> all = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Future<Found> f : each) {
          if (f.succeeded()) {
            all.addAll(f.result().endpoints());
            ttl = Math.min(ttl, f.result().ttlS());
          }
        }
        return new Found(all, ttl);
      }).recover(err -> {
        // Some SRV targets resolved: serve those; none did: fail.
        List<Endpoint> all = new ArrayList<>();
        long ttl = minTtlS;
        for (Future<Found> f : each) {
          if (f.succeeded()) {
            all.addAll(f.result().endpoints());
          }
        }
        return all.isEmpty() ? Future.failedFuture(err) : Future.succeededFuture(new Found(all, ttl));
      });
    });
  }

  /** Every address a target of its own, the weight split equally (at least 1 each unless it is 0). */
  static List<Endpoint> split(List<String> ips, String host, int port, int weight) {
    int each = weight == 0 ? 0 : Math.max(1, share(weight, ips.size()));
    return ips.stream().distinct().sorted().map(ip -> new Endpoint(host, ip, port, each)).toList();
  }

  static int share(int weight, int n) {
    return (int) Math.round((double) weight / Math.max(1, n));
  }

  private String label() {
    return srv ? Upstream.SRV + name : name + ":" + port;
  }

  private static String show(List<Endpoint> endpoints) {
    return endpoints.stream().map(e -> io.sluice.upstream.Target.addressOf(e.ip(), e.port()) + "*" + e.weight())
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
