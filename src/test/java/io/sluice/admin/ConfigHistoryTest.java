package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.store.HistoryStore;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The configuration history on real PostgreSQL: an admin change names its token and role, a psql change is
 * `sql`, an apply is `apply`; before and after images carry no secret; a tenant token sees its tenant only;
 * paging while writes happen neither skips nor repeats a version; pruning goes in batches.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigHistoryTest {

  private static final TestCa CA = new TestCa("History Test CA");

  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  @Test
  void an_admin_change_names_its_token_a_psql_change_is_sql_and_an_apply_is_apply() {
    JsonObject token = gw.create("/admin-tokens", new JsonObject().put("role", "operator"));
    Http.Reply created = gw.adminAs(token.getString("token"), HttpMethod.POST, "/services", service("hist-a", "acme"));
    assertEquals(201, created.status(), created.text());
    long byAdmin = gw.db.configVersion();
    JsonObject v = version(byAdmin);
    assertEquals(token.getString("id"), v.getJsonObject("actor").getString("token"));
    assertEquals("operator", v.getJsonObject("actor").getString("role"));
    assertEquals("admin", v.getString("source"));
    JsonObject change = v.getJsonArray("changes").getJsonObject(0);
    assertEquals(List.of("service", "hist-a", "insert", "acme"), List.of(change.getString("entity"),
        change.getString("name"), change.getString("op"), change.getString("tenant")));
    assertNull(change.getValue("before"));
    assertEquals(0, change.getJsonObject("after").getInteger("retries"));

    gw.db.transaction("update services set retries = 3 where name = 'hist-a'");
    long bySql = gw.db.configVersion();
    v = version(bySql);
    assertEquals("sql", v.getString("source"));
    assertEquals("sql", v.getJsonObject("actor").getString("kind"));
    change = v.getJsonArray("changes").getJsonObject(0);
    assertEquals("update", change.getString("op"));
    assertEquals(0, change.getJsonObject("before").getInteger("retries"));
    assertEquals(3, change.getJsonObject("after").getInteger("retries"));

    JsonObject file = new JsonObject(gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").text());
    file.getJsonArray("routes").add(new JsonObject().put("name", "hist-applied").put("service", "hist-a")
        .put("paths", new JsonArray().add("/hist-applied")));
    Http.Reply applied = gw.admin(HttpMethod.PUT, "/config", file);
    assertEquals(200, applied.status(), applied.text());
    long byApply = new JsonObject(applied.text()).getLong("version");
    v = version(byApply);
    assertEquals("apply", v.getString("source"));
    assertEquals("bootstrap", v.getJsonObject("actor").getString("kind"));
    assertEquals(1, v.getJsonArray("changes").size(), v.encode());

    // Filters: routes since the admin change are the applied one only; nothing after a time to come.
    JsonArray routes = page("/config/history?entity=route&since=" + byAdmin).getJsonArray("data");
    assertEquals(1, routes.size(), routes.encode());
    assertEquals(byApply, routes.getJsonObject(0).getLong("version"));
    assertEquals(Set.of(byAdmin, bySql), versions(page("/config/history?entity=services&since=" + byAdmin
        + "&until=" + bySql)));
    String later = OffsetDateTime.now(ZoneOffset.UTC).plusHours(1).toString();
    assertTrue(page("/config/history?since=" + later).getJsonArray("data").isEmpty());
  }

  @Test
  void no_secret_reaches_the_history() {
    JsonObject consumer = gw.consumer("hist-bob");
    String key = gw.key(consumer);
    long keyVersion = gw.db.configVersion();
    String secret = "an-hs256-secret-of-at-least-thirty-two-bytes!";
    gw.create("/consumers/" + consumer.getString("id") + "/jwt", new JsonObject().put("issuer", "hist-iss")
        .put("algorithm", "HS256").put("secret", secret));
    long jwtVersion = gw.db.configVersion();
    TestCa.Issued cert = CA.leaf("hist.example.test");
    gw.create("/certificates", new JsonObject().put("cert", cert.certPem()).put("key", cert.keyPem())
        .put("tenant", "acme"));
    long certVersion = gw.db.configVersion();

    String digest = gw.db.queryString("select encode(key_digest, 'hex') from credentials where kind = 'api-key'"
        + " and consumer_id = '" + consumer.getString("id") + "'");
    JsonObject keyAfter = version(keyVersion).getJsonArray("changes").getJsonObject(0).getJsonObject("after");
    assertEquals("hmac-sha256:" + digest, keyAfter.getString("key_ref"));
    assertEquals(key.substring(0, keyAfter.getString("key_prefix").length()), keyAfter.getString("key_prefix"));
    assertFalse(keyAfter.containsKey("key_digest"));
    JsonObject jwtAfter = version(jwtVersion).getJsonArray("changes").getJsonObject(0).getJsonObject("after");
    assertTrue(jwtAfter.getString("jwt_secret_ref").startsWith("sha256:"), jwtAfter.encode());
    assertFalse(jwtAfter.containsKey("jwt_secret_enc"));
    JsonObject certAfter = version(certVersion).getJsonArray("changes").getJsonObject(0).getJsonObject("after");
    assertTrue(certAfter.getString("key_ref").startsWith("sha256:"), certAfter.encode());
    assertFalse(certAfter.containsKey("key_enc"));

    String everything = gw.db.queryString("select string_agg(coalesce(before::text, '') || after::text, ' ')"
        + " from config_history");
    String keyBody = cert.keyPem().lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    for (String leaked : List.of(key, secret, keyBody, "PRIVATE KEY")) {
      assertFalse(everything.contains(leaked), leaked);
    }
  }

  @Test
  void a_certificate_is_listed_under_its_name_like_every_other_entity_not_its_subject() {
    TestCa.Issued cert = CA.leaf("named.hist.example.test");
    gw.create("/certificates", new JsonObject().put("name", "hist-named-cert").put("cert", cert.certPem())
        .put("key", cert.keyPem()).put("tenant", "acme"));
    long version = gw.db.configVersion();

    JsonObject change = version(version).getJsonArray("changes").getJsonObject(0);
    assertEquals("certificate", change.getString("entity"), change.encode());
    assertEquals("hist-named-cert", change.getString("name"), change.encode());
    JsonObject listed = page("/config/history?entity=certificate&since=" + version).getJsonArray("data")
        .getJsonObject(0);
    assertEquals("hist-named-cert", listed.getJsonArray("changes").getJsonObject(0).getString("name"), listed.encode());
  }

  @Test
  void a_tenant_token_sees_its_tenant_only() {
    gw.create("/tenants", new JsonObject().put("name", "hist-other"));
    gw.create("/services", service("hist-other-svc", "hist-other"));
    long other = gw.db.configVersion();
    String acme = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"))
        .getString("token");

    assertEquals(404, gw.adminAs(acme, HttpMethod.GET, "/config/history/" + other, null).status());
    // Another tenant is answered as one that does not exist, as in every list: 400 naming tenant.
    Http.Reply named = gw.adminAs(acme, HttpMethod.GET, "/config/history?tenant=hist-other", null);
    Http.Reply none = gw.adminAs(acme, HttpMethod.GET, "/config/history?tenant=hist-nobody", null);
    assertEquals(400, named.status(), named.text());
    assertEquals(none.text().replace("hist-nobody", "hist-other"), named.text());
    JsonObject own = new JsonObject(gw.adminAs(acme, HttpMethod.GET, "/config/history?limit=1000", null).text());
    assertFalse(own.getJsonArray("data").isEmpty());
    for (Object version : own.getJsonArray("data")) {
      for (Object c : ((JsonObject) version).getJsonArray("changes")) {
        assertEquals("acme", ((JsonObject) c).getString("tenant"), ((JsonObject) version).encode());
      }
    }
    JsonArray operator = page("/config/history?tenant=hist-other").getJsonArray("data");
    assertEquals(Set.of(other, other - 1), versions(page("/config/history?tenant=hist-other")));
    assertEquals("hist-other", operator.getJsonObject(0).getJsonArray("changes").getJsonObject(0)
        .getString("tenant"));
  }

  /** A ?tenant= naming no tenant is 400, never an empty list; a deleted tenant's name finds what it recorded. */
  @Test
  void a_tenant_that_names_no_tenant_is_400_but_a_deleted_one_finds_its_entries() {
    for (String token : List.of(Gateway.TOKEN, gw.create("/admin-tokens", new JsonObject().put("role", "tenant")
        .put("tenant", "acme")).getString("token"))) {
      Http.Reply r = gw.adminAs(token, HttpMethod.GET, "/config/history?tenant=zzznope", null);
      assertEquals(400, r.status(), r.text());
      assertEquals("tenant", new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0)
          .getString("field"), r.text());
    }
    String id = gw.create("/tenants", new JsonObject().put("name", "hist-gone")).getString("id");
    long created = gw.db.configVersion();
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/tenants/" + id, null).status());
    assertEquals(Set.of(created + 1, created), versions(page("/config/history?tenant=hist-gone")));
    assertEquals(Set.of(created + 1, created), versions(page("/config/history?tenant=" + id)));
  }

  @Test
  void a_tenant_named_by_its_id_in_upper_case_is_that_tenant() {
    String id = gw.create("/tenants", new JsonObject().put("name", "hist-upper")).getString("id");
    gw.create("/services", service("hist-upper-svc", "hist-upper"));
    long version = gw.db.configVersion();
    Set<Long> byName = versions(page("/config/history?tenant=hist-upper"));
    assertEquals(Set.of(version, version - 1), byName);
    assertEquals(byName, versions(page("/config/history?tenant=" + id)));
    assertEquals(byName, versions(page("/config/history?tenant=" + id.toUpperCase(java.util.Locale.ROOT))));
  }

  @Test
  void paging_while_writes_happen_neither_skips_nor_repeats_a_version() {
    gw.create("/services", service("hist-paged", "acme"));
    List<Long> seen = new ArrayList<>();
    String next = "/config/history?limit=3";
    int writes = 0;
    while (next != null) {
      JsonObject p = page(next);
      p.getJsonArray("data").forEach(v -> seen.add(((JsonObject) v).getLong("version")));
      next = p.getString("next");
      // Two versions committed between every two pages (above the pages still to come).
      gw.db.transaction("update services set retries = " + (writes++ % 5) + " where name = 'hist-paged'");
      gw.db.transaction("update services set retries = " + (writes++ % 5) + " where name = 'hist-paged'");
    }
    assertTrue(seen.size() > 6, seen.toString());
    for (int i = 0; i < seen.size(); i++) {
      assertEquals(seen.get(0) - i, seen.get(i), "versions dense and newest first: " + seen);
    }
    assertEquals(1, seen.get(seen.size() - 1), "down to the first version: " + seen);
  }

  @Test
  void bad_parameters_are_named_and_an_unknown_version_is_404() {
    Http.Reply r = gw.admin(HttpMethod.GET, "/config/history?limit=0&entity=bogus&since=yesterday&cursor=-1",
        null);
    assertEquals(400, r.status(), r.text());
    Set<String> fields = new TreeSet<>();
    new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields")
        .forEach(f -> fields.add(((JsonObject) f).getString("field")));
    assertEquals(Set.of("limit", "entity", "since", "cursor"), fields);
    assertEquals(400, gw.admin(HttpMethod.GET, "/config/history/abc", null).status());
    assertEquals(404, gw.admin(HttpMethod.GET, "/config/history/99999999", null).status());
  }

  @Test
  void history_past_its_retention_is_pruned_in_batches(Vertx vertx) {
    gw.db.transaction("""
        insert into config_history (version, entity, id, op, actor, source, at)
        select -g, 'routes', gen_random_uuid(), 'delete', '{"kind": "sql"}', 'sql', now() - interval '1000 days'
          from generate_series(1, 2500) g""");
    long kept = gw.db.queryLong("select count(*) from config_history where version > 0");
    Pool pool = PgBuilder.pool().connectingTo(gw.db.connectOptions()).using(vertx).build();
    try {
      long pruned = new HistoryStore(pool).prune(90L * 24 * 3600).await();
      assertEquals(2500, pruned);
      assertEquals(kept, gw.db.queryLong("select count(*) from config_history"), "recent history is kept");
    } finally {
      pool.close();
    }
  }

  private static JsonObject service(String name, String tenant) {
    return new JsonObject().put("name", name).put("tenant", tenant).put("retries", 0)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9")));
  }

  private JsonObject version(long version) {
    Http.Reply r = gw.admin(HttpMethod.GET, "/config/history/" + version, null);
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private JsonObject page(String uri) {
    Http.Reply r = gw.admin(HttpMethod.GET, uri, null);
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private static Set<Long> versions(JsonObject page) {
    Set<Long> out = new TreeSet<>();
    page.getJsonArray("data").forEach(v -> out.add(((JsonObject) v).getLong("version")));
    return out;
  }
}
