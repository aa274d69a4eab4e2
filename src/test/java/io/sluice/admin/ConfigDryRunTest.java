package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.store.LeaderSession;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgConnection;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code PUT /config?dry_run=true} answers what the apply would: the file is written in the transaction (unique
 * names, the database's triggers and the rules checked at commit run) and rolled back, so a file the apply refuses
 * is refused by its dry run too, naming the field with its entry's index; and a dry run keeps nothing: no row, no
 * change-log entry, no notification, no new version.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigDryRunTest {

  private static final TestCa CA = new TestCa("Dry Run Test CA");

  private Gateway gw;
  private String acmeToken;
  private String globexCertificate;
  private PgConnection listening;
  private final BlockingQueue<String> notified = new LinkedBlockingQueue<>();

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    gw.create("/tenants", new JsonObject().put("name", "globex"));
    gw.create("/services", new JsonObject().put("name", "gsvc").put("tenant", "globex")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    gw.create("/routes", new JsonObject().put("name", "broute").put("service", "gsvc")
        .put("paths", new JsonArray().add("/g")));
    TestCa.Issued cert = CA.leaf("globex-client");
    globexCertificate = gw.create("/certificates", new JsonObject().put("cert", cert.certPem())
        .put("key", cert.keyPem()).put("tenant", "globex")).getString("id");
    acmeToken = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"))
        .getString("token");
    listening = PgConnection.connect(vertx, gw.db.connectOptions()).await();
    listening.notificationHandler(n -> notified.add(n.getPayload()));
    listening.query("LISTEN " + LeaderSession.CHANNEL).execute().await();
  }

  @AfterAll
  void stop() {
    listening.close().await();
    gw.close();
  }

  /**
   * acme's file as exported, with {@code route} added as the fourth route (after api, open and r2), both on host
   * acme.test (a tenant token's routes name their hosts).
   */
  private JsonObject acmeFileWith(JsonObject route) {
    Http.Reply export = gw.adminAs(acmeToken, HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(200, export.status(), export.text());
    JsonObject file = new JsonObject(export.text());
    file.getJsonArray("routes").add(new JsonObject().put("name", "r2").put("service", "svc")
        .put("hosts", new JsonArray().add("acme.test")).put("paths", new JsonArray().add("/r2")));
    file.getJsonArray("routes").add(route.put("hosts", new JsonArray().add("acme.test")));
    return file;
  }

  private JsonObject fieldOf(Http.Reply r) {
    return new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
  }

  @Test
  void a_route_name_another_tenant_holds_is_refused_by_the_dry_run_as_by_the_apply() {
    JsonObject file = acmeFileWith(new JsonObject().put("name", "broute").put("service", "svc")
        .put("paths", new JsonArray().add("/acme-b")));
    assertEquals(3, file.getJsonArray("routes").size() - 1, "broute is routes[3]");
    long before = gw.db.configVersion();
    for (String dry : new String[] {"?dry_run=true", ""}) {
      Http.Reply r = gw.adminAs(acmeToken, HttpMethod.PUT, "/config" + dry, file);
      assertEquals(409, r.status(), dry + ": " + r.text());
      assertEquals("conflict", new JsonObject(r.text()).getJsonObject("error").getString("code"));
      assertEquals("routes[3].name", fieldOf(r).getString("field"), r.text());
      assertTrue(fieldOf(r).getString("reason").contains("taken"), r.text());
      assertFalse(r.text().contains("globex") || r.text().contains("retry"), r.text());
    }
    assertEquals(before, gw.db.configVersion());
  }

  @Test
  void a_client_certificate_of_another_tenant_is_refused_by_the_dry_run_naming_the_service() {
    JsonObject file = acmeFileWith(new JsonObject().put("name", "r3").put("service", "svc")
        .put("paths", new JsonArray().add("/r3")));
    file.getJsonArray("services").add(new JsonObject().put("name", "acme-mtls")
        .put("tls", new JsonObject().put("client_certificate", globexCertificate))
        .put("targets", new JsonArray().add(new JsonObject().put("address", "https://127.0.0.1:1"))));
    int at = file.getJsonArray("services").size() - 1;
    for (String dry : new String[] {"?dry_run=true", ""}) {
      Http.Reply r = gw.adminAs(acmeToken, HttpMethod.PUT, "/config" + dry, file);
      assertEquals(400, r.status(), dry + ": " + r.text());
      assertEquals("services[" + at + "].tls.client_certificate", fieldOf(r).getString("field"), r.text());
    }
  }

  @Test
  void a_dry_run_keeps_nothing() throws InterruptedException {
    JsonObject file = acmeFileWith(new JsonObject().put("name", "fresh").put("service", "svc")
        .put("paths", new JsonArray().add("/fresh")));
    long version = gw.db.configVersion();
    long changes = gw.db.queryLong("select count(*) from change_log");
    long history = gw.db.queryLong("select count(*) from config_history");
    notified.clear();

    Http.Reply r = gw.adminAs(acmeToken, HttpMethod.PUT, "/config?dry_run=true", file);
    assertEquals(200, r.status(), r.text());
    JsonObject answer = new JsonObject(r.text());
    assertTrue(answer.getBoolean("dry_run"));
    assertEquals(2, answer.getLong("created"), "routes r2 and fresh: " + r.text());
    assertEquals(version, answer.getLong("version"), "the current version");

    assertEquals(version, gw.db.configVersion(), "no new version");
    assertEquals(changes, gw.db.queryLong("select count(*) from change_log"), "no change-log entry");
    assertEquals(history, gw.db.queryLong("select count(*) from config_history"), "no history entry");
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name in ('r2', 'fresh')"), "no row");
    assertNull(notified.poll(500, TimeUnit.MILLISECONDS), "no notification");
  }
}
