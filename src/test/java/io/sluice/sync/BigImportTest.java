package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Eventually;
import io.sluice.testing.Http;
import io.sluice.testing.NodeProcess;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A migration from another gateway as an operator would run it: 150,000 consumers and their keys inserted
 * with plain SQL in one transaction, under a node whose heap is 96 MiB (a JVM of its own that exits on
 * OutOfMemoryError). The node stays up, applies the import's version and serves a key created afterwards, exports
 * the whole file (its consumers streamed) and applies a file that leaves consumers alone, and refuses with a
 * reason what would diff every consumer in memory (a rollback past the import, a file with consumers);
 * before the change reader was paged, 300,000 such consumers ran a node with 128 MiB out of memory (the same
 * rows per MiB of heap as here; bench/scale.sh imports 1,000,000). PostgreSQL's triggers take most of the
 * test's time (the stamp and tenant row triggers; the change log and history are written per statement), hence
 * not more.
 */
class BigImportTest {

  static final int CONSUMERS = 150_000;

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final Http http = new Http(vertx);
  private TestDatabase db;
  private Backend backend;
  private NodeProcess node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (db != null) {
      db.close();
    }
    vertx.close().await();
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void a_node_with_a_small_heap_survives_a_sql_import_of_150000_consumers_and_serves_a_later_key() throws Exception {
    db = TestDatabase.migrated();
    backend = Backend.start(vertx, req -> req.response().end("ok"));
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:"
        + backend.port() + "\"}]}\nroutes:\n  - {name: r, service: svc, paths: [\"/r\"]}\n");
    node = NodeProcess.start(http, dir, "small", "96m", Map.of("SLUICE_PG_URL", db.url(),
        "SLUICE_ROUTES_FILE", routes.toString()));
    eventually("the node is ready", () -> node.adminStatus("/health/ready") == 200);
    assertEquals(201, node.admin(HttpMethod.POST, "/plugins?wait=true",
        new JsonObject().put("name", "key-auth").put("scope", "route").put("route", "r")).status());
    assertEquals(401, node.proxy("/r").status());

    db.transaction("insert into tenants (name) values ('imported')",
        "with c as (insert into consumers (tenant_id, username) select t.id, 'user-' || g"
            + " from tenants t, generate_series(1, " + CONSUMERS + ") g where t.name = 'imported'"
            + " returning id, username)"
            + " insert into credentials (consumer_id, kind, key_prefix, key_digest)"
            + " select id, 'api-key', 'sk_imported', sha256(username::bytea) from c");
    long version = db.configVersion();
    eventually("the import's version is applied", () -> node.adminStatus(
        "/cluster/sync?version=" + version + "&timeout=2s") == 200);
    assertTrue(node.alive(), node.log(3000));
    // A single node counts its flush too (only a cluster's leader did, so a single node's counter stayed at 0).
    assertTrue(node.admin(HttpMethod.GET, "/metrics", null).text().contains("\nsluice_config_cache_flushes_total 1.0"),
        "one flush of the consumer caches counted");

    String consumer = new JsonObject(node.admin(HttpMethod.POST, "/consumers",
        new JsonObject().put("tenant", "default").put("username", "late")).text()).getString("id");
    String key = new JsonObject(node.admin(HttpMethod.POST, "/consumers/" + consumer + "/keys?wait=true", null)
        .text()).getString("key");
    assertEquals(200, node.proxy("/r", "apikey", key).status(), node.log(3000));
    assertEquals(401, node.proxy("/r", "apikey", "sk_not_a_key").status());
    assertTrue(node.alive(), "still up after serving: " + node.log(3000));

    // The whole file, its consumers streamed from a cursor: more than the heap would hold as one string.
    Http.Reply export = node.admin(HttpMethod.GET, "/config", null);
    assertEquals(200, export.status(), export.text().length() < 2000 ? export.text() : node.log(3000));
    String file = export.text();
    assertTrue(file.length() > 15_000_000, "the file is bigger than the node could hold at once: " + file.length());
    assertEquals(CONSUMERS + 1, count(file, "username: "), "every consumer exported, the late one too");
    assertEquals(CONSUMERS + 1, count(file, "prefix: "), "and every key");
    assertTrue(file.indexOf("\nconsumers:") < file.lastIndexOf("username: ")
        && file.lastIndexOf("username: ") < file.indexOf("\nplugins:")
        && file.indexOf("\nplugins:") < file.indexOf("\nroutes:") && file.endsWith("priority: 0\n"),
        "the file whole, in its order, to its end: " + file.substring(file.length() - 300));
    assertEquals(Long.toString(db.configVersion()), export.header("Sluice-Config-Version"));

    // A client that goes away mid-file ends the export: its transaction is rolled back, not left open.
    try (Socket client = new Socket("127.0.0.1", node.adminPort)) {
      client.getOutputStream().write(("GET /config HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
          + NodeProcess.TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] head = client.getInputStream().readNBytes(64 * 1024);
      assertTrue(new String(head, StandardCharsets.UTF_8).startsWith("HTTP/1.1 200"), new String(head, 0, 200,
          StandardCharsets.UTF_8));
    }
    eventually("the abandoned export's transaction ends", () -> db.queryLong("select count(*) from"
        + " pg_stat_activity where datname = '" + db.name() + "' and state like 'idle in transaction%'") == 0);

    // A file that leaves consumers alone applies without reading the 150,000 stored ones.
    Http.Reply apply = node.admin(HttpMethod.PUT, "/config?wait=true", new JsonObject()
        .put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", "svc").put("targets",
            new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + backend.port())))))
        .put("routes", new JsonArray().add(route("r")).add(route("r2")))
        .put("plugins", new JsonArray().add(new JsonObject().put("name", "key-auth").put("scope", "route")
            .put("route", "r"))));
    assertEquals(200, apply.status(), apply.text() + node.log(3000));
    assertEquals(1, new JsonObject(apply.text()).getInteger("created"), apply.text());
    assertEquals(200, node.proxy("/r2").status());
    assertEquals(200, node.proxy("/r", "apikey", key).status());
    assertTrue(node.alive(), "still up after the export and the apply: " + node.log(3000));

    // What would hold every consumer in memory to diff them is refused with a reason, not run out of memory.
    long after = db.configVersion();
    Http.Reply rollback = node.admin(HttpMethod.POST, "/config/rollback?to=" + (version - 1), null);
    assertEquals(422, rollback.status(), rollback.text() + node.log(3000));
    JsonObject why = new JsonObject(rollback.text()).getJsonObject("error");
    assertEquals("too_many_consumers", why.getString("code"));
    assertTrue(why.getString("message").startsWith("nothing applied: the stored configuration holds 150001"
        + " consumers, more than this node diffs in memory"), why.getString("message"));
    Http.Reply withConsumers = node.admin(HttpMethod.PUT, "/config", new JsonObject().put("format_version", 1)
        .put("services", new JsonArray()).put("routes", new JsonArray()).put("consumers", new JsonArray()));
    assertEquals(422, withConsumers.status(), withConsumers.text());
    assertTrue(withConsumers.text().contains("the stored configuration holds 150001 consumers"),
        withConsumers.text());
    assertEquals(after, db.configVersion(), "nothing applied");
    assertEquals(200, node.proxy("/r", "apikey", key).status());
    assertTrue(node.alive(), "still up after the refusals: " + node.log(3000));
  }

  private static JsonObject route(String name) {
    return new JsonObject().put("name", name).put("service", "svc").put("paths", new JsonArray().add("/" + name));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
      n++;
    }
    return n;
  }

  private void eventually(String what, Eventually.Condition condition) {
    Eventually.eventually(what, Duration.ofSeconds(120), condition, () -> node.log(4000));
  }
}
