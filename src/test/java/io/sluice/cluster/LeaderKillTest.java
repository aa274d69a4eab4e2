package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Backend;
import io.sluice.testing.Eventually;
import io.sluice.testing.Http;
import io.sluice.testing.Ports;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes as three JVMs (what makes kill -9 honest: the process dies with its sockets, nothing runs a
 * shutdown hook): the sync leader is killed mid-stream, another node takes the lead, and no change is lost.
 */
class LeaderKillTest {

  private static final String TOKEN = "kill-test-token";
  private static final List<String> HAZELCAST_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final Http http = new Http(vertx);
  private final List<Process> processes = new ArrayList<>();
  private final List<int[]> ports = new ArrayList<>();  // proxy, admin, proxy TLS
  private TestDatabase db;
  private Backend backend;

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    for (Process p : processes) {
      try {
        p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (backend != null) {
      backend.close();
    }
    if (db != null) {
      db.close();
    }
    vertx.close().await();
  }

  private JsonObject cluster(int node) {
    try {
      Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(ports.get(node)[1])
          .setURI("/cluster").putHeader("Authorization", "Bearer " + TOKEN));
      return new JsonObject(r.text());
    } catch (Exception notListening) {
      return new JsonObject().put("self", new JsonObject()).put("nodes", new io.vertx.core.json.JsonArray());
    }
  }

  private int status(int node, String uri, boolean admin) {
    try {
      return http.call(new RequestOptions().setHost("127.0.0.1").setPort(ports.get(node)[admin ? 1 : 0]).setURI(uri)
          .putHeader("Authorization", "Bearer " + TOKEN)).status();
    } catch (Exception notListening) {
      return -1;
    }
  }

  /** Three JVMs forming a cluster on a shared 2-core machine take their time; their logs explain a failure. */
  private void eventually(String what, Eventually.Condition condition) {
    Eventually.eventually(what, Duration.ofSeconds(60), condition, this::logs);
  }

  private String logs() {
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

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES) // three JVMs forming a Hazelcast cluster: ~35 s alone, more on a busy machine
  void the_leader_killed_with_kill_9_mid_stream_is_replaced_and_no_change_is_lost() throws Exception {
    db = TestDatabase.create();
    backend = Backend.start(vertx, req -> req.response().end("ok"));
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:"
        + backend.port() + "\"}]}\nroutes:\n  - {name: first, service: svc, paths: [\"/first\"]}\n");
    Path empty = dir.resolve("empty.yaml");
    Files.writeString(empty, "{}\n");
    String name = "sluice-kill-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    List<Integer> hz = List.of(Ports.free(), Ports.free(), Ports.free());
    String members = "127.0.0.1:" + hz.get(0) + ",127.0.0.1:" + hz.get(1) + ",127.0.0.1:" + hz.get(2);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int i = 0; i < 3; i++) {
      // Every port handed out up front: a port 0 of one node could take one handed to another before it binds it.
      int[] p = {Ports.free(), Ports.free(), Ports.free()};
      ports.add(p);
      List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
      command.addAll(HAZELCAST_FLAGS);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.Sluice", "run"));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(dir.resolve("node-" + i + ".log").toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
      pb.environment().putAll(Map.ofEntries(Map.entry("SLUICE_CONFIG", empty.toString()),
          Map.entry("SLUICE_ROUTES_FILE", routes.toString()), Map.entry("SLUICE_PG_URL", db.url()),
          Map.entry("SLUICE_PROXY_HOST", "127.0.0.1"), Map.entry("SLUICE_PROXY_PORT", "" + p[0]),
          Map.entry("SLUICE_ADMIN_PORT", "" + p[1]), Map.entry("SLUICE_PROXY_TLS_PORT", "" + p[2]), Map.entry("SLUICE_PROXY_INSTANCES", "1"),
          Map.entry("SLUICE_ADMIN_TOKEN", TOKEN), Map.entry("SLUICE_NODE_NAME", "node-" + i),
          Map.entry("SLUICE_CLUSTER_DISCOVERY", "tcp-ip"), Map.entry("SLUICE_CLUSTER_NAME", name),
          Map.entry("SLUICE_CLUSTER_MEMBERS", members), Map.entry("SLUICE_CLUSTER_PORT", "" + hz.get(i)),
          Map.entry("SLUICE_LOG_FORMAT", "text"), Map.entry("SLUICE_STREAM_ENABLED", "false")));
      processes.add(pb.start());
    }
    for (int i = 0; i < 3; i++) {
      int node = i;
      eventually("node " + i + " ready", () -> status(node, "/health/ready", true) == 200);
    }
    eventually("one cluster of three", () -> cluster(0).getJsonArray("nodes").size() == 3);
    int[] leader = {-1};
    eventually("a sync leader", () -> {
      for (int i = 0; i < 3; i++) {
        if (cluster(i).getJsonObject("self").getBoolean("sync_leader", false)) {
          leader[0] = i;
          return true;
        }
      }
      return false;
    });

    List<String> names = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      String route = "k" + i;
      names.add(route);
      db.transaction("insert into routes (name, service_id, paths) select '" + route + "', id, '{/" + route + "}'"
          + " from services where name = 'svc'");
      if (i == 30) {
        processes.get(leader[0]).destroyForcibly();  // SIGKILL
      }
      Thread.sleep(15);
    }
    long version = db.configVersion();
    int survivor = (leader[0] + 1) % 3;
    eventually("the survivors applied every change", () -> status(survivor,
        "/cluster/sync?version=" + version + "&timeout=2s", true) == 200);
    for (int i = 0; i < 3; i++) {
      if (i == leader[0]) {
        continue;
      }
      for (String route : names) {
        assertEquals(200, status(i, "/" + route + "/x", false), "node " + i + " serves " + route);
      }
    }
    assertEquals(2, cluster(survivor).getJsonArray("nodes").size());
    eventually("a new leader among the survivors", () -> {
      for (int i = 0; i < 3; i++) {
        if (i != leader[0] && cluster(i).getJsonObject("self").getBoolean("sync_leader", false)) {
          return true;
        }
      }
      return false;
    });
  }
}
