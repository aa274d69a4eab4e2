package io.sluice.cluster;

import io.sluice.testing.Eventually;
import io.sluice.testing.Http;
import io.sluice.testing.NodeProcess;
import io.sluice.testing.Ports;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Nodes as JVMs of their own forming one Hazelcast cluster (TCP-IP on loopback) on one database: what makes kill -9
 * and SIGSTOP honest (the process dies or freezes with its sockets, nothing runs a shutdown hook). Each node's output
 * goes to {@code dir/node-N.log}; {@link #logs} gives their tails for a failure's message.
 */
final class NodeProcesses implements AutoCloseable {

  static final String TOKEN = "node-processes-token";
  private final Path dir;
  private final Http http;
  private final List<Process> processes = new ArrayList<>();
  private final List<int[]> ports = new ArrayList<>();  // proxy, admin, proxy TLS
  private final List<Integer> hz = new ArrayList<>();
  private final String name = "sluice-proc-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private final String pgUrl;
  private final Map<String, String> extraEnv;
  /** The first nodes' Hazelcast addresses, which every node is given to join. */
  private final String members;

  /**
   * Starts {@code count} nodes on {@code pgUrl} seeded with {@code routesYaml}, each with {@code extraEnv}; returns
   * once they are started (not yet ready: see {@link #awaitCluster}).
   */
  NodeProcesses(Path dir, Http http, int count, String pgUrl, String routesYaml, Map<String, String> extraEnv)
      throws IOException {
    this.dir = dir;
    this.http = http;
    this.pgUrl = pgUrl;
    this.extraEnv = extraEnv;
    Files.writeString(dir.resolve("routes.yaml"), routesYaml);
    Files.writeString(dir.resolve("empty.yaml"), "{}\n");
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < count; i++) {
      hz.add(Ports.free());
      list.append(i == 0 ? "" : ",").append("127.0.0.1:").append(hz.get(i));
    }
    members = list.toString();
    for (int i = 0; i < count; i++) {
      start(i);
    }
  }

  /** Starts one more node, which joins the cluster through the first nodes' addresses; answers its index. */
  int addNode() throws IOException {
    hz.add(Ports.free());
    start(hz.size() - 1);
    return hz.size() - 1;
  }

  private void start(int i) throws IOException {
    // Every port handed out up front: a port 0 of one node could take one handed to another before it binds it.
    int[] p = {Ports.free(), Ports.free(), Ports.free()};
    ports.add(p);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m"));
    command.addAll(NodeProcess.QUICK_JVM);
    command.addAll(NodeProcess.HAZELCAST_FLAGS);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Sluice", "run"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("node-" + i + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
    pb.environment().putAll(Map.ofEntries(Map.entry("SLUICE_CONFIG", dir.resolve("empty.yaml").toString()),
        Map.entry("SLUICE_ROUTES_FILE", dir.resolve("routes.yaml").toString()), Map.entry("SLUICE_PG_URL", pgUrl),
        Map.entry("SLUICE_PROXY_HOST", "127.0.0.1"), Map.entry("SLUICE_PROXY_PORT", "" + p[0]),
        Map.entry("SLUICE_ADMIN_PORT", "" + p[1]), Map.entry("SLUICE_PROXY_TLS_PORT", "" + p[2]),
        Map.entry("SLUICE_PROXY_INSTANCES", "1"), Map.entry("SLUICE_ADMIN_TOKEN", TOKEN),
        Map.entry("SLUICE_NODE_NAME", "node-" + i), Map.entry("SLUICE_NODE_DATA_DIR", dir.resolve("data-" + i).toString()),
        Map.entry("SLUICE_CLUSTER_DISCOVERY", "tcp-ip"), Map.entry("SLUICE_CLUSTER_NAME", name),
        Map.entry("SLUICE_CLUSTER_MEMBERS", members), Map.entry("SLUICE_CLUSTER_PORT", "" + hz.get(i)),
        Map.entry("SLUICE_LOG_FORMAT", "text"), Map.entry("SLUICE_STREAM_ENABLED", "false")));
    pb.environment().putAll(extraEnv);
    processes.add(pb.start());
  }

  int count() {
    return processes.size();
  }

  Process process(int node) {
    return processes.get(node);
  }

  /** Waits until every node is ready and they form one cluster; answers the sync leader's index. */
  int awaitCluster() {
    for (int i = 0; i < processes.size(); i++) {
      int node = i;
      // Three JVMs starting at once: about 30 s on a quiet machine, past 60 s on a loaded one.
      eventually("node " + i + " ready", Duration.ofSeconds(150), () -> status(node, "/health/ready", true) == 200);
    }
    eventually("one cluster of " + processes.size(), () -> cluster(0).getJsonArray("nodes").size() == processes.size());
    int[] leader = {-1};
    eventually("a sync leader", () -> {
      leader[0] = leader();
      return leader[0] >= 0;
    });
    return leader[0];
  }

  /** The index of a node that says it leads sync (-1: none does). */
  int leader() {
    for (int i = 0; i < processes.size(); i++) {
      if (cluster(i).getJsonObject("self").getBoolean("sync_leader", false)) {
        return i;
      }
    }
    return -1;
  }

  /** {@code GET /cluster} of a node (an empty report when it does not answer within 3 s: a stopped one). */
  JsonObject cluster(int node) {
    try {
      Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(ports.get(node)[1])
          .setURI("/cluster").putHeader("Authorization", "Bearer " + TOKEN).setConnectTimeout(2_000).setIdleTimeout(3_000));
      return new JsonObject(r.text());
    } catch (Exception notListening) {
      return new JsonObject().put("self", new JsonObject()).put("nodes", new JsonArray());
    }
  }

  /** The status of {@code uri} on a node's proxy or admin listener (-1: it does not answer). */
  int status(int node, String uri, boolean admin) {
    try {
      return http.call(new RequestOptions().setHost("127.0.0.1").setPort(ports.get(node)[admin ? 1 : 0]).setURI(uri)
          .putHeader("Authorization", "Bearer " + TOKEN).setConnectTimeout(2_000).setIdleTimeout(3_000)).status();
    } catch (Exception notListening) {
      return -1;
    }
  }

  /** Three JVMs forming a cluster on a shared 2-core machine take their time; their logs explain a failure. */
  void eventually(String what, Eventually.Condition condition) {
    eventually(what, Duration.ofSeconds(90), condition);
  }

  void eventually(String what, Duration within, Eventually.Condition condition) {
    Eventually.eventually(what, within, condition, this::logs);
  }

  /** The last lines of every node's log. */
  String logs() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < processes.size(); i++) {
      try {
        String log = Files.readString(dir.resolve("node-" + i + ".log"));
        b.append("--- node ").append(i).append('\n').append(log, Math.max(0, log.length() - 3000), log.length());
      } catch (IOException e) {
        b.append("--- node ").append(i).append(": no log (").append(e).append(")\n");
      }
    }
    return b.toString();
  }

  /** A node's whole log. */
  String log(int node) throws IOException {
    return Files.readString(dir.resolve("node-" + node + ".log"));
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Sends {@code signal} (STOP, CONT) to a node's process. */
  static void signal(Process p, String signal) {
    try {
      new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).inheritIO().start().waitFor();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
