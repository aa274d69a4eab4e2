package io.sluice.bench;

import io.sluice.bus.Addresses;
import io.sluice.bus.NodeApplied;
import io.sluice.node.SluiceNode;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The propagation benchmark (bench/propagation.sh): three clustered nodes in this JVM on a fresh database,
 * then N changes committed with plain SQL at a steady rate; for each change, the time from its commit
 * returning to the client until every node applied it (each node's own applied event, on its own event
 * bus). Prints p50, p90, p99 and max beside what a gateway polling every 5 s would give.
 *
 * <p>Runs twice: on idle nodes, then while the nodes also carry proxy traffic (BENCH_CONCURRENCY requests in
 * flight, spread over the nodes, to a local upstream; issue 19 asks p99 under 50 ms there).
 *
 * <p>Knobs (environment): BENCH_CHANGES (1000), BENCH_RATE changes per second (100), BENCH_NODES (3),
 * BENCH_CONCURRENCY (16; 0: the idle run only), BENCH_WARMUP_CHANGES (2000, committed before the runs, not measured), BENCH_SLOWEST (10: the slowest changes printed, with their commit time as JVM uptime),
 * BENCH_PG (postgresql://postgres@127.0.0.1:5432; a database sluice_bench_* is created and dropped).
 */
public final class PropagationBench {

  public static void main(String[] args) throws Exception {
    int changes = Integer.parseInt(BenchCluster.env("BENCH_CHANGES", "1000"));
    int rate = Integer.parseInt(BenchCluster.env("BENCH_RATE", "100"));
    int count = Integer.parseInt(BenchCluster.env("BENCH_NODES", "3"));
    int concurrency = Integer.parseInt(BenchCluster.env("BENCH_CONCURRENCY", "16"));
    int warmup = Integer.parseInt(BenchCluster.env("BENCH_WARMUP_CHANGES", "2000"));
    io.vertx.core.Vertx load = io.vertx.core.Vertx.vertx();
    try (BenchCluster cluster = new BenchCluster()) {
      io.vertx.core.http.HttpServer backend = load.createHttpServer()
          .requestHandler(req -> req.response().end("ok")).listen(0, "127.0.0.1").await();
      cluster.start(count, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:9\"}]}\n"
          + "  - {name: up, targets: [{address: \"127.0.0.1:" + backend.actualPort() + "\"}]}\n"
          + "routes:\n  - {name: bench, service: svc, paths: [\"/bench\"]}\n"
          + "  - {name: traffic, service: up, paths: [\"/traffic\"]}\n", Map.of());
      List<SluiceNode> nodes = cluster.nodes;
      // One map per node: version -> nanoTime it was applied there (each node's own event, local delivery).
      List<ConcurrentSkipListMap<Long, Long>> applied = new ArrayList<>();
      // When node 0 received each ConfigChanged (version -> nanoTime): the leader's part of the delay.
      ConcurrentSkipListMap<Long, Long> published = new ConcurrentSkipListMap<>();
      Stamps stamps = new Stamps(nodes.get(0));
      stamps.<io.sluice.bus.ConfigChanged>consume(nodes.get(0), Addresses.CONFIG_CHANGED,
          m -> published.put(m.body().version(), System.nanoTime()));
      for (SluiceNode node : nodes) {
        ConcurrentSkipListMap<Long, Long> mine = new ConcurrentSkipListMap<>();
        applied.add(mine);
        String id = node.membership().nodeId();
        stamps.<NodeApplied>consume(node, Addresses.NODE_APPLIED, m -> {
          if (m.body().nodeId().equals(id)) {
            mine.put(m.body().version(), System.nanoTime());
          }
        });
      }
      try (Connection c = cluster.jdbc(); Statement st = c.createStatement()) {
        String change = "update routes set priority = (priority + 1) % 1000 where name = 'bench'";
        // Warm-up, not measured: the JIT (in a cold JVM the change path keeps C2 busy for tens of seconds), the
        // pools, the first event-bus sends. The same change as measured, about 200 per second.
        for (int i = 0; i < warmup; i++) {
          st.executeUpdate(change);
          Thread.sleep(5);
        }
        System.out.printf("propagation: %d nodes, %d changes at %d/s (commit returned -> applied on every node)%n",
            count, changes, rate);
        System.out.println("| gateway | p50 ms | p90 ms | p99 ms | max ms | mean ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        System.out.println("| polling every 5 s (uniform, computed) | 2500.0 | 4500.0 | 4950.0 | 5000.0 | 2500.0 |");
        for (int traffic : concurrency > 0 ? new int[] {0, concurrency} : new int[] {0}) {
          java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
          java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
          io.vertx.core.http.HttpClient client = load.createHttpClient(new io.vertx.core.http.HttpClientOptions()
              .setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(Math.max(1, traffic)));
          for (int i = 0; i < traffic; i++) {
            int port = nodes.get(i % count).proxyPort();
            load.runOnContext(v -> request(load, client, port, running, answered));
          }
          Thread.sleep(traffic > 0 ? 3_000 : 0);
          answered.set(0);
          long began = System.nanoTime();
          String label = traffic == 0 ? "sluice (LISTEN/NOTIFY + Hazelcast)"
              : "sluice, nodes carrying proxy traffic (" + traffic + " in flight)";
          measure(st, change, applied, published, changes, rate, label);
          running.set(false);
          if (traffic > 0) {
            System.out.printf("propagation: proxy traffic during the loaded run: %.0f requests/s%n",
                answered.get() / ((System.nanoTime() - began) / 1e9));
          }
          Thread.sleep(500);
          client.close();
        }
      }
    } finally {
      load.close().await();
    }
    System.exit(0);
  }

  /** Requests one after the other to the traffic route until {@code running} goes false. */
  private static void request(io.vertx.core.Vertx vertx, io.vertx.core.http.HttpClient client, int port,
                              java.util.concurrent.atomic.AtomicBoolean running,
                              java.util.concurrent.atomic.AtomicLong answered) {
    if (!running.get()) {
      return;
    }
    client.request(io.vertx.core.http.HttpMethod.GET, port, "127.0.0.1", "/traffic")
        .compose(req -> req.send().compose(resp -> resp.body()))
        .onComplete(ar -> {
          answered.incrementAndGet();
          if (ar.failed()) {
            vertx.setTimer(10, id -> request(vertx, client, port, running, answered));
          } else {
            vertx.runOnContext(v -> request(vertx, client, port, running, answered));
          }
        });
  }

  /** Commits {@code changes} changes at {@code rate} and prints the delays as two rows labelled {@code label}. */
  private static void measure(Statement st, String change, List<ConcurrentSkipListMap<Long, Long>> applied,
                              ConcurrentSkipListMap<Long, Long> published, int changes, int rate, String label)
      throws Exception {
    long start = BenchCluster.version(st);
    waitFor(applied, start);
    long[] committed = new long[changes];
    long interval = 1_000_000_000L / rate;
    long next = System.nanoTime();
    for (int i = 0; i < changes; i++) {
      LockSupport.parkNanos(next - System.nanoTime());
      next += interval;
      st.executeUpdate(change);  // autocommit: returns once committed
      committed[i] = System.nanoTime();
    }
    waitFor(applied, start + changes);
    double[] delays = new double[changes];
    double[] leader = new double[changes];
    for (int i = 0; i < changes; i++) {
      long version = start + 1 + i;
      leader[i] = Math.max(0, published.ceilingEntry(version).getValue() - committed[i]) / 1e6;
      long last = 0;
      for (ConcurrentSkipListMap<Long, Long> node : applied) {
        // A node that applied a batch (several versions at once) announced its last version only.
        last = Math.max(last, node.ceilingEntry(version).getValue());
      }
      delays[i] = Math.max(0, last - committed[i]) / 1e6;
    }
    printSlowest(delays, leader, committed);
    Arrays.sort(delays);
    Arrays.sort(leader);
    System.out.printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f |%n", label,
        BenchCluster.pct(delays, 50), BenchCluster.pct(delays, 90), BenchCluster.pct(delays, 99), delays[changes - 1], Arrays.stream(delays).average()
            .orElse(0));
    System.out.printf("| (of which: commit to ConfigChanged published by the leader) | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
        BenchCluster.pct(leader, 50), BenchCluster.pct(leader, 90), BenchCluster.pct(leader, 99), leader[changes - 1], Arrays.stream(leader).average()
            .orElse(0));
  }

  /**
   * The slowest changes of a run, by commit time (ms since the JVM started, to line up with -Xlog's uptime stamps):
   * whether the tail is a few stalls that hold up the changes committed during them, and in which part.
   */
  private static void printSlowest(double[] delays, double[] leader, long[] committed) {
    long jvmStart = System.nanoTime() - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
    Integer[] order = new Integer[delays.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(delays[b], delays[a]));
    for (int k = 0; k < Math.min(Integer.parseInt(BenchCluster.env("BENCH_SLOWEST", "10")), order.length); k++) {
      int i = order[k];
      System.out.printf("  slow: committed at %.3f s uptime: %.1f ms to every node, %.1f ms to the leader's event%n",
          (committed[i] - jvmStart) / 1e9, delays[i], leader[i]);
    }
  }

  private static void waitFor(List<ConcurrentSkipListMap<Long, Long>> applied, long version) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    for (ConcurrentSkipListMap<Long, Long> node : applied) {
      while (node.ceilingKey(version) == null) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("version " + version + " not applied on every node within 60 s");
        }
        Thread.sleep(5);
      }
    }
  }
}
