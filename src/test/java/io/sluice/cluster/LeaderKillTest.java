package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Backend;
import io.sluice.testing.Closer;
import io.sluice.testing.Http;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final Http http = new Http(vertx);
  private final Closer closer = new Closer();
  private NodeProcesses nodes;
  private TestDatabase db;
  private Backend backend;

  @AfterEach
  void stop() {
    closer.close();
    vertx.close().await();
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES) // three JVMs forming a Hazelcast cluster: ~35 s alone, more on a busy machine
  void the_leader_killed_with_kill_9_mid_stream_is_replaced_and_no_change_is_lost() throws Exception {
    db = closer.add(TestDatabase.create());
    backend = closer.add(Backend.start(vertx, req -> req.response().end("ok")));
    nodes = closer.add(new NodeProcesses(dir, http, 3, db.url(), "format_version: 1\nservices:\n  - {name: svc, targets:"
        + " [{address: \"127.0.0.1:" + backend.port() + "\"}]}\nroutes:\n  - {name: first, service: svc, paths:"
        + " [\"/first\"]}\n", Map.of()));
    int leader = nodes.awaitCluster();

    List<String> names = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      String route = "k" + i;
      names.add(route);
      db.transaction("insert into routes (name, service_id, paths) select '" + route + "', id, '{/" + route + "}'"
          + " from services where name = 'svc'");
      if (i == 30) {
        nodes.process(leader).destroyForcibly();  // SIGKILL
      }
      Thread.sleep(15);
    }
    long version = db.configVersion();
    int survivor = (leader + 1) % 3;
    nodes.eventually("the survivors applied every change", () -> nodes.status(survivor,
        "/cluster/sync?version=" + version + "&timeout=2s", true) == 200);
    for (int i = 0; i < 3; i++) {
      if (i == leader) {
        continue;
      }
      for (String route : names) {
        assertEquals(200, nodes.status(i, "/" + route + "/x", false), "node " + i + " serves " + route);
      }
    }
    assertEquals(2, nodes.cluster(survivor).getJsonArray("nodes").size());
    nodes.eventually("a new leader among the survivors", () -> {
      int now = nodes.leader();
      return now >= 0 && now != leader;
    });
  }
}
