package io.sluice.bench;

import io.sluice.node.SluiceNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * The hitless-change benchmark (bench/hitless.sh): BENCH_NODES clustered nodes in this JVM over BENCH_ROUTES
 * routes written with SQL, steady traffic (BENCH_CONCURRENCY requests in flight, spread over the nodes) on
 * the half of the routes that never changes, then three phases of BENCH_SECONDS each: quiet, one change per
 * second (a route added, changed or deleted in turn), and BENCH_BURST_RATE changes per second. Before them, a
 * warm-up of BENCH_WARMUP_SECONDS (20) of changes at the burst rate under the same traffic, not counted: the
 * phases measure nodes whose change path the JIT has compiled, as a node that has run for a while (in a cold
 * JVM the burst phase's first seconds compiled thousands of methods, with C2 at a fifth of the CPU). Prints per
 * phase the requests, the answers other than 200 (goal: 0), the proxy's p50/p99, how far the slowest
 * node fell behind the database (the age of the oldest commit it had not applied, sampled every 10 ms), and
 * per change the time from its commit returning until every node applied it (p99 and max; each node's own
 * applied event) and, of it, until the leader published it (the first node's receipt of the event: the leader's).
 */
public final class HitlessBench {

  public static void main(String[] args) throws Exception {
    int routes = Integer.parseInt(BenchCluster.env("BENCH_ROUTES", "10000"));
    int count = Integer.parseInt(BenchCluster.env("BENCH_NODES", "3"));
    int seconds = Integer.parseInt(BenchCluster.env("BENCH_SECONDS", "60"));
    int burst = Integer.parseInt(BenchCluster.env("BENCH_BURST_RATE", "50"));
    int warmup = Integer.parseInt(BenchCluster.env("BENCH_WARMUP_SECONDS", "20"));
    int concurrency = Integer.parseInt(BenchCluster.env("BENCH_CONCURRENCY", "16"));
    int steady = routes / 2;
    Vertx load = Vertx.vertx();
    try (BenchCluster cluster = new BenchCluster()) {
      HttpServer backend = load.createHttpServer().requestHandler(req -> req.response().end("ok"))
          .listen(0, "127.0.0.1").await();
      cluster.start(count, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:"
          + backend.actualPort() + "\"}]}\n", Map.of());
      List<SluiceNode> nodes = cluster.nodes;
      ConcurrentSkipListMap<Long, Long> published = new ConcurrentSkipListMap<>();
      // The first node to see the event: the leader's own local delivery, so that the hop to the others is not in it.
      Stamps stamps = new Stamps(nodes.get(0));
      for (SluiceNode node : nodes) {
        stamps.<io.sluice.bus.ConfigChanged>consume(node, io.sluice.bus.Addresses.CONFIG_CHANGED,
            m -> published.merge(m.body().version(), System.nanoTime(), Math::min));
      }
      List<ConcurrentSkipListMap<Long, Long>> applied = new java.util.ArrayList<>();
      for (SluiceNode node : nodes) {
        ConcurrentSkipListMap<Long, Long> mine = new ConcurrentSkipListMap<>();
        applied.add(mine);
        String id = node.membership().nodeId();
        stamps.<io.sluice.bus.NodeApplied>consume(node, io.sluice.bus.Addresses.NODE_APPLIED, m -> {
          if (m.body().nodeId().equals(id)) {
            mine.putIfAbsent(m.body().version(), System.nanoTime());
          }
        });
      }
      try (Connection c = cluster.jdbc(); Statement st = c.createStatement()) {
        long t0 = System.nanoTime();
        st.execute("insert into routes (name, service_id, paths) select 'r' || g, s.id, array['/r/' || g]"
            + " from services s, generate_series(0, " + (routes - 1) + ") g where s.name = 'svc'");
        long importVersion = BenchCluster.version(st);
        waitApplied(nodes, importVersion);
        System.out.printf("hitless: %d nodes, %d routes written in one SQL transaction, applied on every node in"
            + " %d ms%n", count, routes, (System.nanoTime() - t0) / 1_000_000);

        HttpClient client = load.createHttpClient(new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(concurrency));
        AtomicReference<Phase> phase = new AtomicReference<>(new Phase("warm-up"));
        CountDownLatch stopped = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
          int port = nodes.get(i % count).proxyPort();
          load.runOnContext(v -> loop(load, client, port, steady, phase, stopped));
        }
        Thread.sleep(5_000);
        System.out.println("| phase | requests | non-200 | p50 ms | p99 ms | max lag behind the database ms"
            + " | commit to applied on every node p99 / max ms | of which commit to published p99 / max ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        int[] next = {0};
        // {rate, seconds, counted}: the warm-up first (not printed), then the three phases.
        for (int[] p : new int[][] {{burst, warmup, 0}, {0, seconds, 1}, {1, seconds, 1}, {burst, seconds, 1}}) {
          int rate = p[0];
          Phase current = new Phase(p[2] == 0 ? "warm-up" : rate == 0 ? "quiet" : rate + " change(s)/s");
          phase.set(current);
          long end = System.nanoTime() + p[1] * 1_000_000_000L;
          long interval = rate == 0 ? 0 : 1_000_000_000L / rate;
          long due = System.nanoTime();
          long lastSample = 0;
          while (System.nanoTime() < end) {
            if (rate > 0 && System.nanoTime() >= due) {
              change(st, next[0]++, steady, routes);
              current.committed.put(BenchCluster.version(st), System.nanoTime());
              due += interval;
            }
            if (System.nanoTime() - lastSample >= 10_000_000L) {
              lastSample = System.nanoTime();
              current.sampleLag(nodes);
            }
            LockSupport.parkNanos(1_000_000L);
          }
          waitApplied(nodes, BenchCluster.version(st));
          if (p[2] == 0) {
            continue;
          }
          System.out.printf("| %s | %d | %d%s | %.2f | %.2f | %d | %s | %s |%n", current.name,
              current.latency.getTotalCount(), current.failures(), current.failed.isEmpty() ? "" : " " + current.failed,
              current.latency.getValueAtPercentile(50) / 1e3, current.latency.getValueAtPercentile(99) / 1e3,
              current.maxLagMs.get(), current.delays(applied), current.delays(List.of(published)));
        }
        phase.set(null);
        stopped.await();
      }
    } finally {
      load.close().await();
    }
    System.exit(0);
  }

  /** The i-th change: add a route, move one of the changing half, delete one of the changing half. */
  private static void change(Statement st, int i, int steady, int routes) throws java.sql.SQLException {
    int n = steady + ThreadLocalRandom.current().nextInt(routes - steady);
    switch (i % 3) {
      case 0 -> st.execute("insert into routes (name, service_id, paths) select 'new" + i + "', id, array['/new/"
          + i + "'] from services where name = 'svc'");
      case 1 -> st.execute("update routes set paths = array['/moved/" + i + "'] where name = 'r" + n + "'");
      default -> st.execute("delete from routes where name = 'r" + n + "'");
    }
  }

  /** Requests one after the other to random unchanged routes until the phase is null, then counts down. */
  private static void loop(Vertx vertx, HttpClient client, int port, int steady, AtomicReference<Phase> phase,
                           CountDownLatch done) {
    Phase p = phase.get();
    if (p == null) {
      done.countDown();
      return;
    }
    long started = System.nanoTime();
    String uri = "/r/" + ThreadLocalRandom.current().nextInt(steady) + "/x";
    client.request(HttpMethod.GET, port, "127.0.0.1", uri)
        .compose(req -> req.send().compose(resp -> resp.body().map(resp.statusCode())))
        .onComplete(ar -> {
          p.latency.recordValue(Math.max(1, (System.nanoTime() - started) / 1_000));
          if (ar.failed() || ar.result() != 200) {
            p.failed.computeIfAbsent(ar.succeeded() ? String.valueOf(ar.result())
                : ar.cause().getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
          }
          // The next request from a fresh call stack (a failure can complete at once), and after a failure
          // not at once (a refused connection would spin).
          if (ar.failed()) {
            vertx.setTimer(10, id -> loop(vertx, client, port, steady, phase, done));
          } else {
            vertx.runOnContext(v -> loop(vertx, client, port, steady, phase, done));
          }
        });
  }

  private static void waitApplied(List<SluiceNode> nodes, long version) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    for (SluiceNode n : nodes) {
      while (n.appliedVersion() < version) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("version " + version + " not applied on every node within 120 s");
        }
        Thread.sleep(5);
      }
    }
  }

  /** When this JVM started, on the nanoTime clock (for the uptime of a slow change). */
  private static final long JVM_START_NANOS = System.nanoTime()
      - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;

  /** What one phase measured. */
  private static final class Phase {
    final String name;
    final ConcurrentHistogram latency = new ConcurrentHistogram(60_000_000L, 3);  // microseconds
    final Map<String, AtomicInteger> failed = new ConcurrentHashMap<>();
    final AtomicLong maxLagMs = new AtomicLong();
    /** Version -> when its commit returned (nanoTime). */
    final ConcurrentSkipListMap<Long, Long> committed = new ConcurrentSkipListMap<>();

    Phase(String name) {
      this.name = name;
    }

    /** p99 / max over this phase's changes of commit to the last of {@code seen} (version -> nanoTime). */
    String delays(List<ConcurrentSkipListMap<Long, Long>> seen) {
      if (committed.isEmpty()) {
        return "-";
      }
      double[] ms = new double[committed.size()];
      int i = 0;
      Map.Entry<Long, Long> slowest = null;
      double worst = -1;
      for (Map.Entry<Long, Long> c : committed.entrySet()) {
        long last = 0;
        for (ConcurrentSkipListMap<Long, Long> node : seen) {
          Map.Entry<Long, Long> at = node.ceilingEntry(c.getKey());  // a batch announces its last version only
          last = Math.max(last, at == null ? Long.MAX_VALUE : at.getValue());
        }
        ms[i] = Math.max(0, last - c.getValue()) / 1e6;
        if (ms[i] > worst) {
          worst = ms[i];
          slowest = c;
        }
        i++;
      }
      // To find what stalled it in a GC or safepoint log (-Xlog:gc,safepoint:...:uptime): the JVM's uptime.
      System.err.printf("hitless: %s: the slowest change, version %d, committed at JVM uptime %.3f s, took %.1f ms%n",
          name, slowest.getKey(), (slowest.getValue() - JVM_START_NANOS) / 1e9, worst);
      java.util.Arrays.sort(ms);
      return String.format("%.1f / %.1f", BenchCluster.pct(ms, 99), ms[ms.length - 1]);
    }

    int failures() {
      return failed.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Per node, the age of the oldest committed version it has not applied; the phase keeps the largest. */
    void sampleLag(List<SluiceNode> nodes) {
      long now = System.nanoTime();
      for (SluiceNode n : nodes) {
        Map.Entry<Long, Long> oldest = committed.higherEntry(n.appliedVersion());
        if (oldest != null) {
          maxLagMs.accumulateAndGet((now - oldest.getValue()) / 1_000_000, Math::max);
        }
      }
    }
  }
}
