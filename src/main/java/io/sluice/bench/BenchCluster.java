package io.sluice.bench;

import io.sluice.node.Logging;
import io.sluice.node.SluiceNode;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsLoader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the configuration benchmarks share: a fresh database sluice_bench_* on the local PostgreSQL (BENCH_PG,
 * default postgresql://postgres@127.0.0.1:5432), dropped on close, and N clustered nodes in this JVM on it
 * (one Hazelcast cluster over loopback, the access stream off, logs at warn).
 */
final class BenchCluster implements AutoCloseable {

  final String pg = env("BENCH_PG", "postgresql://postgres@127.0.0.1:5432");
  final String db = "sluice_bench_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  final List<SluiceNode> nodes = new ArrayList<>();
  private final String jdbcBase = "jdbc:" + pg.replaceFirst("//[^@/]*@", "//");
  private final String user = pg.matches("postgresql://[^:@/]+@.*")
      ? pg.replaceFirst("postgresql://([^:@/]+)@.*", "$1") : "postgres";

  BenchCluster() throws SQLException {
    try (Connection admin = DriverManager.getConnection(jdbcBase + "/postgres", user, "");
         Statement st = admin.createStatement()) {
      st.execute("create database " + db);
    }
  }

  /** Starts {@code count} nodes (one cluster when more than one) seeded from {@code routesYaml}. */
  void start(int count, String routesYaml, Map<String, String> extra) throws Exception {
    Path routes = Files.createTempFile("bench-routes", ".yaml");
    Files.writeString(routes, routesYaml);
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(freePort());
    }
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    String cluster = "sluice-bench-" + Long.toHexString(System.nanoTime());
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
      env.put("SLUICE_NODE_DATA_DIR", Files.createTempDirectory("sluice-bench").toString());
      env.put("SLUICE_LOG_LEVEL", "warn");
      env.put("SLUICE_LOG_FORMAT", "text");
      env.put("SLUICE_STREAM_ENABLED", "false");  // these benchmarks measure configuration, not the stream
      if (count > 1) {
        env.put("SLUICE_CLUSTER_DISCOVERY", "tcp-ip");
        env.put("SLUICE_CLUSTER_NAME", cluster);
        env.put("SLUICE_CLUSTER_MEMBERS", members);
        env.put("SLUICE_CLUSTER_PORT", String.valueOf(ports.get(i)));
      }
      String transport = System.getenv("BENCH_NODE_TRANSPORT"); // node.transport of every node (default auto)
      if (transport != null && !transport.isBlank()) {
        env.put("SLUICE_NODE_TRANSPORT", transport);
      }
      env.putAll(extra);
      NodeSettings settings = new SettingsLoader().load(null, false, env);
      if (i == 0) {
        Logging.configure(settings.log());
      }
      nodes.add(SluiceNode.start(settings).await());
    }
  }

  /** A plain JDBC connection to the benchmark's database (autocommit: what psql does). */
  Connection jdbc() throws SQLException {
    return DriverManager.getConnection(jdbcBase + "/" + db, user, "");
  }

  static long version(Statement st) throws SQLException {
    try (var rs = st.executeQuery("select version from config_version")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() throws SQLException {
    for (SluiceNode n : nodes) {
      n.stop();
    }
    try (Connection admin = DriverManager.getConnection(jdbcBase + "/postgres", user, "");
         Statement st = admin.createStatement()) {
      st.execute("drop database if exists " + db + " with (force)");
    }
  }

  static double pct(double[] sorted, double p) {
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? fallback : v;
  }
}
