package io.sluice.admin;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Closer;
import io.sluice.testing.Http;
import io.sluice.testing.NodeProcess;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Found from outside: twenty concurrent scrapes of a 23.5 MB registry (5,000 called routes) on a node with
 * -Xmx256m: each answer was copied whole into direct memory, which ran out; the admin event loop blocked 8 s in
 * the allocation, half the answers came without a body and /health/ready timed out. A node whose direct memory is
 * a fraction of one answer times the scrapers (a separate JVM with -XX:MaxDirectMemorySize) answers every scrape
 * whole and stays ready.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MetricsDirectMemoryTest {

  private static final int ROUTES = 1_200;
  private static final int SCRAPERS = 10;

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final Http http = new Http(vertx);
  private final Closer closer = new Closer();
  private TestDatabase db;
  private Backend backend;
  private NodeProcess node;

  @AfterEach
  void stop() {
    closer.close();
    vertx.close().await();
  }

  @Test
  void concurrent_scrapes_of_a_big_registry_with_little_direct_memory_all_arrive_whole() throws Exception {
    db = closer.add(TestDatabase.migrated());
    backend = closer.add(Backend.start(vertx, req -> req.response().end("ok")));
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:"
        + backend.port() + "\"}]}\n");
    node = closer.add(NodeProcess.start(http, dir, "n1", "256m", Map.of("SLUICE_PG_URL", db.url(),
        "SLUICE_ROUTES_FILE", routes.toString(), "SLUICE_NODE_DATA_DIR", dir.toString(),
        "JAVA_TOOL_OPTIONS", "-XX:MaxDirectMemorySize=24m")));
    eventually("the node is ready", Duration.ofSeconds(60), () -> node.adminStatus("/health/ready") == 200);
    db.transaction("insert into routes (name, service_id, paths) select 'r' || g, s.id, array['/r' || g]"
        + " from services s, generate_series(1, " + ROUTES + ") g where s.name = 'svc'");
    eventually("the routes are served", Duration.ofSeconds(60), () -> node.proxy("/r" + ROUTES + "/x").status() == 200);
    for (int r = 1; r <= ROUTES; r++) {
      assertEquals(200, node.proxy("/r" + r + "/x").status());  // a called route has its series
    }
    int size = node.admin(io.vertx.core.http.HttpMethod.GET, "/metrics", null).body().length();
    assertTrue(size > 4 * 1024 * 1024, "a registry of several MB: " + size);

    List<Future<Http.Reply>> replies = new ArrayList<>();
    for (int i = 0; i < SCRAPERS; i++) {
      replies.add(http.send(new RequestOptions().setHost("127.0.0.1").setPort(node.adminPort).setURI("/metrics")
          .putHeader("Authorization", "Bearer " + NodeProcess.TOKEN).setIdleTimeout(60_000), null));
    }
    for (Future<Http.Reply> f : replies) {
      Http.Reply r = f.await();
      assertEquals(200, r.status(), node.log(3000));
      assertEquals(Integer.parseInt(r.header("Content-Length")), r.body().length(), "whole");
      assertTrue(r.body().length() > 4 * 1024 * 1024 && r.text().contains("\nsluice_build_info{"), node.log(3000));
    }
    assertEquals(200, node.adminStatus("/health/ready"), node.log(3000));
    assertTrue(node.alive() && !node.log(1_000_000).contains("OutOfMemoryError"), node.log(3000));
  }
}
