package io.sluice.bench;

import io.sluice.bus.Addresses;
import io.sluice.bus.NodeApplied;
import io.sluice.node.Logging;
import io.sluice.node.SluiceNode;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * The propagation benchmark (bench/propagation.sh): three clustered nodes in this JVM on a fresh database,
 * then N changes committed with plain SQL at a steady rate; for each change, the time from its commit
 * returning to the client until every node applied it (each node's own applied event, on its own event
 * bus). Prints p50, p90, p99 and max beside what a gateway polling every 5 s would give.
 *
 * <p>Knobs (environment): BENCH_CHANGES (1000), BENCH_RATE changes per second (100), BENCH_NODES (3),
 * BENCH_PG (postgresql://postgres@127.0.0.1:5432; a database sluice_bench_* is created and dropped).
 */
public final class PropagationBench {

  public static void main(String[] args) throws Exception {
    int changes = Integer.parseInt(env("BENCH_CHANGES", "1000"));
    int rate = Integer.parseInt(env("BENCH_RATE", "100"));
    int count = Integer.parseInt(env("BENCH_NODES", "3"));
    String pg = env("BENCH_PG", "postgresql://postgres@127.0.0.1:5432");
    String db = "sluice_bench_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    String jdbcBase = "jdbc:" + pg.replaceFirst("//[^@/]*@", "//");
    String user = pg.matches("postgresql://[^:@/]+@.*") ? pg.replaceFirst("postgresql://([^:@/]+)@.*", "$1") : "postgres";
    try (Connection admin = DriverManager.getConnection(jdbcBase + "/postgres", user, "");
         Statement st = admin.createStatement()) {
      st.execute("create database " + db);
    }
    List<SluiceNode> nodes = new ArrayList<>();
    try {
      Path routes = Files.createTempFile("bench-routes", ".yaml");
      Files.writeString(routes, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:9\"}]}\n"
          + "routes:\n  - {name: bench, service: svc, paths: [\"/bench\"]}\n");
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ports.add(freePort());
      }
      String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
      String cluster = "sluice-bench-" + Long.toHexString(System.nanoTime());
      // One map per node: version -> nanoTime it was applied there (each node's own event, local delivery).
      List<ConcurrentSkipListMap<Long, Long>> applied = new ArrayList<>();
      boolean logged = false;
      // When node 0 received each ConfigChanged (version -> nanoTime): the leader's part of the delay.
      ConcurrentSkipListMap<Long, Long> published = new ConcurrentSkipListMap<>();
      for (int i = 0; i < count; i++) {
        Map<String, String> env = new HashMap<>();
        env.put("SLUICE_PG_URL", pg + "/" + db);
        env.put("SLUICE_PROXY_PORT", "0");
        env.put("SLUICE_PROXY_TLS_PORT", "0");
        env.put("SLUICE_PROXY_HOST", "127.0.0.1");
        env.put("SLUICE_ADMIN_PORT", "0");
        env.put("SLUICE_PROXY_INSTANCES", "1");
        env.put("SLUICE_ROUTES_FILE", routes.toString());
        env.put("SLUICE_NODE_NAME", "bench-" + i);
        env.put("SLUICE_LOG_LEVEL", "warn");
        env.put("SLUICE_LOG_FORMAT", "text");
        env.put("SLUICE_STREAM_ENABLED", "false");  // this benchmark measures configuration, not the stream
        if (count > 1) {
          env.put("SLUICE_CLUSTER_DISCOVERY", "tcp-ip");
          env.put("SLUICE_CLUSTER_NAME", cluster);
          env.put("SLUICE_CLUSTER_MEMBERS", members);
          env.put("SLUICE_CLUSTER_PORT", String.valueOf(ports.get(i)));
        }
        NodeSettings settings = new SettingsLoader().load(null, false, env);
        if (!logged) {
          Logging.configure(settings.log());
          logged = true;
        }
        SluiceNode node = SluiceNode.start(settings).await();
        nodes.add(node);
        if (i == 0) {
          node.vertx().eventBus().<io.sluice.bus.ConfigChanged>localConsumer(Addresses.CONFIG_CHANGED,
              m -> published.put(m.body().version(), System.nanoTime()));
        }
        ConcurrentSkipListMap<Long, Long> mine = new ConcurrentSkipListMap<>();
        applied.add(mine);
        String id = node.membership().nodeId();
        node.vertx().eventBus().<NodeApplied>localConsumer(Addresses.NODE_APPLIED, m -> {
          if (m.body().nodeId().equals(id)) {
            mine.put(m.body().version(), System.nanoTime());
          }
        });
      }
      try (Connection c = DriverManager.getConnection(jdbcBase + "/" + db, user, "");
           Statement st = c.createStatement()) {
        String change = "update routes set priority = (priority + 1) % 1000 where name = 'bench'";
        for (int i = 0; i < 100; i++) {  // warm-up: JIT, pools, first event-bus sends
          st.executeUpdate(change);
          Thread.sleep(5);
        }
        long start;
        try (var rs = st.executeQuery("select version from config_version")) {
          rs.next();
          start = rs.getLong(1);
        }
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
        Arrays.sort(delays);
        Arrays.sort(leader);
        System.out.printf("propagation: %d nodes, %d changes at %d/s (commit returned -> applied on every node)%n",
            count, changes, rate);
        System.out.println("| gateway | p50 ms | p90 ms | p99 ms | max ms | mean ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        System.out.printf("| sluice (LISTEN/NOTIFY + Hazelcast) | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
            pct(delays, 50), pct(delays, 90), pct(delays, 99), delays[changes - 1], Arrays.stream(delays).average()
                .orElse(0));
        System.out.println("| polling every 5 s (uniform, computed) | 2500.0 | 4500.0 | 4950.0 | 5000.0 | 2500.0 |");
        System.out.printf("| (of which: commit to ConfigChanged published by the leader) | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
            pct(leader, 50), pct(leader, 90), pct(leader, 99), leader[changes - 1], Arrays.stream(leader).average()
                .orElse(0));
      }
    } finally {
      for (SluiceNode n : nodes) {
        n.stop();
      }
      try (Connection admin = DriverManager.getConnection(jdbcBase + "/postgres", user, "");
           Statement st = admin.createStatement()) {
        st.execute("drop database if exists " + db + " with (force)");
      }
    }
    System.exit(0);
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

  private static double pct(double[] sorted, double p) {
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? fallback : v;
  }
}
