package io.sluice.bench;

import io.sluice.node.SluiceNode;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

/**
 * The scale benchmark (bench/scale.sh): one node in this JVM; its heap in use (after a full GC) before and
 * after BENCH_CONSUMERS consumers and their API keys are imported with SQL in one transaction; then the
 * start time and heap of a fresh node over that database beside those of the first start (10 consumers).
 * Goals (issue 19): heap after the import within 16 MiB of before; a start over a million consumers like
 * one over ten.
 */
public final class ScaleBench {

  public static void main(String[] args) throws Exception {
    int consumers = Integer.parseInt(BenchCluster.env("BENCH_CONSUMERS", "1000000"));
    try (BenchCluster cluster = new BenchCluster()) {
      String routes = "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:9\"}]}\n"
          + "routes:\n  - {name: r, service: svc, paths: [\"/r\"]}\n";
      try (Connection c = cluster.jdbc(); Statement st = c.createStatement()) {
        long t0 = System.nanoTime();
        cluster.start(1, routes, Map.of());
        long smallStartMs = (System.nanoTime() - t0) / 1_000_000;
        import_(st, "small", 10);
        waitApplied(cluster.nodes.get(0), BenchCluster.version(st));
        long smallHeap = heapAfterGc();

        long t1 = System.nanoTime();
        import_(st, "big", consumers);
        long version = BenchCluster.version(st);
        long importMs = (System.nanoTime() - t1) / 1_000_000;
        waitApplied(cluster.nodes.get(0), version);
        long appliedMs = (System.nanoTime() - t1) / 1_000_000 - importMs;
        long bigHeap = heapAfterGc();

        cluster.nodes.remove(0).stop();
        System.gc();
        long t2 = System.nanoTime();
        cluster.start(1, routes, Map.of());
        long bigStartMs = (System.nanoTime() - t2) / 1_000_000;
        long restartHeap = heapAfterGc();

        System.out.printf("scale: %,d consumers and keys imported with SQL in one transaction in %,d ms; applied %,d ms"
            + " after the commit%n", consumers, importMs, appliedMs);
        System.out.println("| measure | 10 consumers | " + String.format("%,d", consumers) + " consumers | goal |");
        System.out.println("|---|---:|---:|---|");
        System.out.printf("| heap in use after a full GC, node running | %.1f MiB | %.1f MiB (import: %+.1f MiB) | same within 16 MiB |%n",
            smallHeap / 1048576.0, bigHeap / 1048576.0, (bigHeap - smallHeap) / 1048576.0);
        System.out.printf("| node start (settings to serving) | %,d ms | %,d ms | as with 10 |%n", smallStartMs, bigStartMs);
        System.out.printf("| heap in use after a full GC, freshly started node | %.1f MiB | %.1f MiB | as with 10 |%n",
            smallHeap / 1048576.0, restartHeap / 1048576.0);
      }
    }
    System.exit(0);
  }

  private static void import_(Statement st, String tenant, int count) throws java.sql.SQLException {
    st.execute("insert into tenants (name) values ('" + tenant + "')");
    st.execute("with c as (insert into consumers (tenant_id, username) select t.id, 'user-' || g"
        + " from tenants t, generate_series(1, " + count + ") g where t.name = '" + tenant + "' returning id, username)"
        + " insert into credentials (consumer_id, kind, key_prefix, key_digest)"
        + " select id, 'api-key', 'sk_bench', sha256(('" + tenant + "' || username)::bytea) from c");
  }

  private static void waitApplied(SluiceNode node, long version) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 600_000;
    while (node.appliedVersion() < version) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("version " + version + " not applied within 600 s");
      }
      Thread.sleep(10);
    }
  }

  /** Heap in use after full collections (several: finalizers and soft references settle). */
  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
