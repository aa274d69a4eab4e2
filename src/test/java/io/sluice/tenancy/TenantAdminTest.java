package io.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Admin tokens with roles: a tenant token of acme sees and changes acme's entities only. Every other tenant's
 * entity answers 404 on every verb and stays as it was; a body naming another tenant is refused naming the
 * field; /config exports and applies acme's part only; a revoked token is refused at once on another node;
 * every write records who made it.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantAdminTest {

  private static final TestCa CA = new TestCa("Tenant Test CA");

  private Gateway gw;
  private String acmeToken;
  private JsonObject tokenRow;
  /** globex's entities: path of each (operator's view). */
  private final List<String> foreign = new ArrayList<>();
  private String globexId;
  private String globexConsumer;
  private String globexKeyId;
  private String globexStreamToken;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    globexId = gw.create("/tenants", new JsonObject().put("name", "globex")).getString("id");
    String service = gw.create("/services", new JsonObject().put("name", "gsvc").put("tenant", "globex")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))))
        .getString("id");
    String route = gw.create("/routes", new JsonObject().put("name", "groute").put("service", "gsvc")
        .put("paths", new JsonArray().add("/g"))).getString("id");
    JsonObject consumer = gw.create("/consumers", new JsonObject().put("tenant", "globex").put("username", "gus"));
    globexConsumer = consumer.getString("id");
    globexKeyId = gw.create("/consumers/" + globexConsumer + "/keys", new JsonObject()).getString("id");
    String plugin = gw.create("/plugins", new JsonObject().put("name", "correlation-id").put("scope", "route")
        .put("route", "groute").put("config", new JsonObject())).getString("id");
    gw.create("/plugins", new JsonObject().put("name", "cors").put("scope", "global").put("config", new JsonObject()));
    globexStreamToken = gw.create("/tenants/" + globexId + "/stream-tokens", new JsonObject()).getString("id");
    TestCa.Issued cert = CA.leaf("globex.example.test");
    String certificate = gw.create("/certificates", new JsonObject().put("cert", cert.certPem())
        .put("key", cert.keyPem()).put("tenant", "globex")).getString("id");
    String sni = gw.create("/snis", new JsonObject().put("name", "globex.example.test")
        .put("certificate", certificate)).getString("id");
    foreign.addAll(List.of("/services/" + service, "/routes/" + route, "/consumers/" + globexConsumer,
        "/plugins/" + plugin, "/tenants/" + globexId, "/certificates/" + certificate, "/snis/" + sni));
    tokenRow = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"));
    acmeToken = tokenRow.getString("token");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private Http.Reply as(String token, HttpMethod method, String uri, Object body, String... headers) {
    return as(gw.node(), token, method, uri, body, headers);
  }

  private Http.Reply as(TestNode node, String token, HttpMethod method, String uri, Object body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + token);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    return gw.http.call(o, body == null ? null : Buffer.buffer(body.toString()));
  }

  private JsonObject operatorGet(String uri) {
    Http.Reply r = gw.admin(HttpMethod.GET, uri, null);
    assertEquals(200, r.status(), uri + ": " + r.text());
    return new JsonObject(r.text());
  }

  Stream<Arguments> foreignEntitiesAndVerbs() {
    List<Arguments> all = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE)) {
        all.add(Arguments.of(i, m));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{1} on globex's entity #{0}")
  @MethodSource("foreignEntitiesAndVerbs")
  void another_tenants_entity_is_404_on_every_verb_and_changes_nothing(int which, HttpMethod method) {
    String path = foreign.get(which);
    JsonObject before = operatorGet(path);
    JsonObject body = before.copy();
    body.remove("id");
    body.remove("version");
    body.remove("updated_at");
    Http.Reply r = as(acmeToken, method, path, method == HttpMethod.GET || method == HttpMethod.DELETE ? null : body,
        "If-Match", String.valueOf(before.getLong("version")));
    assertEquals(404, r.status(), method + " " + path + ": " + r.text());
    assertEquals(before, operatorGet(path), "nothing changed");
  }

  @Test
  void another_tenants_credentials_and_stream_tokens_do_not_exist() {
    String keys = "/consumers/" + globexConsumer + "/keys";
    assertEquals(404, as(acmeToken, HttpMethod.GET, keys, null).status());
    assertEquals(404, as(acmeToken, HttpMethod.POST, keys, new JsonObject()).status());
    assertEquals(404, as(acmeToken, HttpMethod.GET, keys + "/" + globexKeyId, null).status());
    assertEquals(404, as(acmeToken, HttpMethod.DELETE, keys + "/" + globexKeyId, null).status());
    assertEquals(404, as(acmeToken, HttpMethod.GET, "/consumers/" + globexConsumer + "/jwt", null).status());
    assertEquals(404, as(acmeToken, HttpMethod.POST, "/consumers/" + globexConsumer + "/jwt", new JsonObject()
        .put("issuer", "x").put("algorithm", "HS256").put("secret", "a-secret-long-enough-for-hs256-00000")).status());
    String streams = "/tenants/" + globexId + "/stream-tokens";
    assertEquals(404, as(acmeToken, HttpMethod.GET, streams, null).status());
    assertEquals(404, as(acmeToken, HttpMethod.POST, streams, new JsonObject()).status());
    assertEquals(404, as(acmeToken, HttpMethod.DELETE, streams + "/" + globexStreamToken, null).status());
    Http.Reply health = as(acmeToken, HttpMethod.GET, "/services/gsvc/health", null);
    assertEquals(404, health.status(), "another tenant's targets, circuits and load: " + health.text());
    assertEquals("gsvc", operatorGet("/services/gsvc/health").getString("service"), "an operator sees it");
    assertEquals(1, operatorGet(keys).getJsonArray("data").size(), "the key is still there");
    assertEquals(1, operatorGet(streams).getJsonArray("data").size(), "the stream token is still there");
  }

  @Test
  void lists_hold_the_tokens_tenant_only() {
    for (String resource : List.of("/services", "/routes", "/consumers", "/plugins", "/certificates", "/snis",
        "/tenants")) {
      Http.Reply r = as(acmeToken, HttpMethod.GET, resource, null);
      assertEquals(200, r.status(), r.text());
      assertFalse(r.text().contains("globex") || r.text().contains("gsvc") || r.text().contains("groute")
          || r.text().contains("\"gus\"") || r.text().contains("\"cors\""), resource + ": " + r.text());
      if (!resource.equals("/tenants")) { // ?tenant= filters the resources of tenants, not /tenants itself
        // Another tenant does not exist: 400 naming the filter, as for a tenant that never existed.
        assertField("tenant", as(acmeToken, HttpMethod.GET, resource + "?tenant=globex", null));
      }
    }
    assertEquals(201, as(acmeToken, HttpMethod.POST, "/services", new JsonObject().put("name", "listed-own")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:1")))).status());
    assertTrue(as(acmeToken, HttpMethod.GET, "/services", null).text().contains("\"listed-own\""),
        "its own are listed");
    assertEquals("acme", new JsonObject(as(acmeToken, HttpMethod.GET, "/tenants", null).text())
        .getJsonArray("data").getJsonObject(0).getString("name"));
  }

  @Test
  void a_tenant_token_manages_its_own_certificates_and_snis() {
    TestCa.Issued cert = CA.leaf("acme.example.test");
    Http.Reply created = as(acmeToken, HttpMethod.POST, "/certificates", new JsonObject().put("cert", cert.certPem())
        .put("key", cert.keyPem()));
    assertEquals(201, created.status(), created.text());
    JsonObject own = new JsonObject(created.text());
    assertEquals("acme", own.getString("tenant"), "a certificate written without a tenant is the token's");
    assertFalse(own.containsKey("key"), "the key is never answered");
    Http.Reply sni = as(acmeToken, HttpMethod.POST, "/snis", new JsonObject().put("name", "acme.example.test")
        .put("certificate", own.getString("id")));
    assertEquals(201, sni.status(), sni.text());
    assertTrue(as(acmeToken, HttpMethod.GET, "/certificates", null).text().contains(own.getString("id")));
    assertFalse(as(acmeToken, HttpMethod.GET, "/certificates", null).text().contains("globex"),
        "another tenant's certificates are not listed");
    String globexCertificate = foreign.get(5).substring("/certificates/".length());
    Http.Reply borrowed = as(acmeToken, HttpMethod.POST, "/snis", new JsonObject().put("name", "borrowed.example.test")
        .put("certificate", globexCertificate));
    assertEquals(400, borrowed.status(), "an SNI naming another tenant's certificate: " + borrowed.text());
    assertTrue(borrowed.text().contains("certificate"), borrowed.text());
  }

  @Test
  void a_body_naming_another_tenant_is_refused_naming_the_field() {
    JsonObject target = new JsonObject().put("address", "127.0.0.1:1");
    assertField("tenant", as(acmeToken, HttpMethod.POST, "/services", new JsonObject().put("name", "x1")
        .put("tenant", "globex").put("targets", new JsonArray().add(target))));
    assertField("service", as(acmeToken, HttpMethod.POST, "/routes", new JsonObject().put("name", "x2")
        .put("service", "gsvc")));
    assertField("tenant", as(acmeToken, HttpMethod.POST, "/consumers", new JsonObject().put("tenant", globexId)
        .put("username", "x3")));
    assertField("scope", as(acmeToken, HttpMethod.POST, "/plugins", new JsonObject().put("name", "cors")
        .put("scope", "global")));
    assertField("route", as(acmeToken, HttpMethod.POST, "/plugins", new JsonObject().put("name", "cors")
        .put("scope", "route").put("route", "groute")));
    assertEquals(403, as(acmeToken, HttpMethod.POST, "/tenants", new JsonObject().put("name", "x4")).status());
    // Found from outside: a name that exists and one that does not were answered differently ("no tenant 'x5'"), so a
    // tenant token could list the other tenants' names. Both are another tenant now.
    for (String tenant : new String[] {"globex", "no-such-tenant-x5"}) {
      Http.Reply r = as(acmeToken, HttpMethod.POST, "/services", new JsonObject().put("name", "x1")
          .put("tenant", tenant).put("targets", new JsonArray().add(target)));
      assertField("tenant", r);
      assertTrue(r.text().contains("not this token's tenant (acme)"), tenant + ": " + r.text());
    }
    assertEquals(0, gw.db.queryLong("select count(*) from services where name = 'x1'")
        + gw.db.queryLong("select count(*) from routes where name = 'x2'")
        + gw.db.queryLong("select count(*) from consumers where username = 'x3'")
        + gw.db.queryLong("select count(*) from tenants where name = 'x4'"), "nothing was written");
  }

  @Test
  void a_tenant_name_of_the_form_of_an_id_is_refused_and_one_stored_before_never_names_another_tenant() {
    String victim = gw.create("/tenants", new JsonObject().put("name", "victim")).getString("id");
    for (String name : List.of(victim, victim.toUpperCase(java.util.Locale.ROOT), UUID.randomUUID().toString())) {
      assertField("name", gw.admin(HttpMethod.POST, "/tenants", new JsonObject().put("name", name)));
    }
    assertField("name", gw.admin(HttpMethod.PUT, "/tenants/" + victim, new JsonObject().put("name", globexId),
        "If-Match", "*"));
    assertField("name", gw.admin(HttpMethod.PATCH, "/tenants/" + victim, new JsonObject().put("name", victim),
        "If-Match", "*"));
    // A file names its tenants into being: a service's or a consumer's tenant of that form is refused.
    JsonArray targets = new JsonArray().add(new JsonObject().put("address", "127.0.0.1:1"));
    Http.Reply file = gw.admin(HttpMethod.PUT, "/config?dry_run=true", new JsonObject().put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", "ghost").put("tenant", victim)
            .put("targets", targets)))
        .put("consumers", new JsonArray().add(new JsonObject().put("tenant", victim).put("username", "ghost"))));
    assertEquals(400, file.status(), file.text());
    assertEquals(List.of("services[0].tenant", "consumers[0].tenant"), new JsonObject(file.text())
        .getJsonObject("error").getJsonArray("fields").stream().map(f -> ((JsonObject) f).getString("field")).toList());
    assertEquals(0, gw.db.queryLong("select count(*) from tenants where name = '" + victim + "'"));

    // One stored before (psql, an older database) names victim's id: a reference to it names neither tenant.
    gw.db.transaction("insert into tenants (name) values ('" + victim + "')");
    String stored = gw.db.queryString("select id from tenants where name = '" + victim + "'");
    try {
      JsonObject svc = gw.create("/services", new JsonObject().put("name", "legacy").put("tenant", stored)
          .put("targets", targets));
      assertEquals(victim, svc.getString("tenant"), "answered by its name");
      Http.Reply back = gw.admin(HttpMethod.PUT, "/services/" + svc.getString("id"), svc, "If-Match", "*");
      assertField("tenant", back);
      assertEquals(stored, gw.db.queryString("select tenant_id from services where name = 'legacy'"),
          "a GET put back does not move the service to victim");
      assertEquals(List.of("legacy"), names(gw.admin(HttpMethod.GET, "/services?tenant=" + stored, null)));
      assertField("tenant", gw.admin(HttpMethod.GET, "/services?tenant=" + victim, null));
      assertField("tenant", gw.admin(HttpMethod.POST, "/admin-tokens", new JsonObject().put("role", "tenant")
          .put("tenant", victim)));
    } finally {
      gw.db.transaction("delete from services where name = 'legacy'", "delete from tenants where id = '" + stored + "'");
    }
  }

  private static List<String> names(Http.Reply list) {
    assertEquals(200, list.status(), list.text());
    return new JsonObject(list.text()).getJsonArray("data").stream()
        .map(e -> ((JsonObject) e).getString("name")).toList();
  }

  private static void assertField(String field, Http.Reply r) {
    assertEquals(400, r.status(), r.text());
    assertEquals(field, new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0)
        .getString("field"), r.text());
  }

  @Test
  void a_tenant_token_manages_its_own_tenant_and_every_write_records_who_made_it() {
    Http.Reply s = as(acmeToken, HttpMethod.POST, "/services", new JsonObject().put("name", "mine")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    assertEquals(201, s.status(), s.text());
    assertEquals("acme", new JsonObject(s.text()).getString("tenant"), "a tenant left out is the token's");
    String actor = gw.db.queryString("select actor::text from change_log where entity = 'services'"
        + " and id = '" + new JsonObject(s.text()).getString("id") + "'");
    JsonObject who = new JsonObject(actor);
    assertEquals(tokenRow.getString("id"), who.getString("token"));
    assertEquals("tenant", who.getString("role"));
    gw.db.transaction("update services set retries = 1 where name = 'mine'");
    assertEquals("sql", new JsonObject(gw.db.queryString("select actor::text from change_log where entity ="
        + " 'services' order by version desc limit 1")).getString("kind"), "a psql write is recorded as sql");
    assertEquals(403, as(acmeToken, HttpMethod.GET, "/admin-tokens", null).status(), "operators only");
    assertEquals(403, as(acmeToken, HttpMethod.GET, "/cluster", null).status(), "operators only");
    // Checked on the path the router dispatches on, not the raw one (dot segments, %2e).
    for (String sneaky : java.util.List.of("/services/../admin-tokens", "/services/%2e%2e/admin-tokens",
        "/routes/./../cluster", "/config/%2E%2E/metrics")) {
      Http.Reply r = as(acmeToken, HttpMethod.GET, sneaky, null);
      assertEquals(403, r.status(), sneaky + ": " + r.text());
    }
    Http.Reply minted = as(acmeToken, HttpMethod.POST, "/services/../admin-tokens",
        new JsonObject().put("role", "operator"));
    assertEquals(403, minted.status(), "a tenant token mints no operator token: " + minted.text());
    assertEquals(403, as(acmeToken, HttpMethod.PUT, "/tracing", new JsonObject().put("enabled", true)).status(),
        "tracing is the node's: operators only");
  }

  @Test
  void config_with_a_tenant_token_reads_and_writes_its_tenant_only() {
    Http.Reply export = as(acmeToken, HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(200, export.status(), export.text());
    assertTrue(export.text().contains("\"svc\"") && !export.text().contains("gsvc"), export.text());

    JsonObject gsvcBefore = operatorGet(foreign.get(0));
    String file = """
        {"format_version": 1,
         "services": [{"name": "%s", "targets": [{"address": "127.0.0.1:%d"}]}],
         "routes": [{"name": "%s", "service": "%s", "hosts": ["acme.example.test"], "paths": ["/%s"]}]}""";
    // A name another tenant holds: refused whole, globex's service untouched.
    Http.Reply taken = as(acmeToken, HttpMethod.PUT, "/config", new JsonObject(file.formatted("gsvc",
        gw.backend.port(), "acme-r", "gsvc", "acme-r")));
    assertEquals(409, taken.status(), taken.text());
    Http.Reply other = as(acmeToken, HttpMethod.PUT, "/config", new JsonObject(file.formatted("z", gw.backend.port(),
        "z", "z", "z")).put("services", new JsonArray().add(new JsonObject().put("name", "z").put("tenant", "globex")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:1"))))));
    assertEquals(400, other.status(), other.text());
    assertEquals("services[0].tenant", new JsonObject(other.text()).getJsonObject("error").getJsonArray("fields")
        .getJsonObject(0).getString("field"));
    // plugins: [] was taken and did nothing (an operator's plugin on the tenant's route stayed): refused as plugins.
    Http.Reply noPlugins = as(acmeToken, HttpMethod.PUT, "/config", new JsonObject(file.formatted("z", gw.backend.port(),
        "z", "z", "z")).put("plugins", new JsonArray()));
    assertEquals(400, noPlugins.status(), noPlugins.text());
    assertEquals("plugins", new JsonObject(noPlugins.text()).getJsonObject("error").getJsonArray("fields")
        .getJsonObject(0).getString("field"));

    // acme's file without globex's entities deletes acme's left out, never globex's.
    Http.Reply applied = as(acmeToken, HttpMethod.PUT, "/config", new JsonObject(file.formatted("svc2",
        gw.backend.port(), "acme-only", "svc2", "acme-only")));
    assertEquals(200, applied.status(), applied.text());
    gw.awaitApplied(Long.parseLong(applied.header("Sluice-Config-Version")));
    assertEquals(gsvcBefore, operatorGet(foreign.get(0)), "globex's service untouched");
    assertEquals(1, gw.db.queryLong("select count(*) from routes where name = 'groute'"));
    assertEquals("acme", gw.db.queryString("select t.name from services s join tenants t on t.id = s.tenant_id"
        + " where s.name = 'svc2'"));
    assertEquals(200, gw.get("/acme-only/x", "Host", "acme.example.test").status());
    assertEquals(tokenRow.getString("id"), new JsonObject(gw.db.queryString("select c.actor::text from change_log c"
        + " join services s on s.id = c.id where s.name = 'svc2'")).getString("token"), "the apply records its token");
    assertEquals(200, gw.get("/g/x").status(), "globex's route still served");
  }

  @Test
  void a_tenant_token_cannot_write_a_route_that_takes_another_tenants_traffic() {
    // globex's groute serves /g on every host (it has none: an operator set it). Each of these would take some of
    // its requests on acme's host, since a route with a host comes before every route without one.
    JsonArray acmeHost = new JsonArray().add("acme.example.test");
    List<JsonObject> grabs = List.of(
        new JsonObject().put("paths", new JsonArray().add("/g")).put("priority", -1000),
        new JsonObject().put("paths", new JsonArray().add("/mine").add("=/g/login")),
        new JsonObject().put("paths", new JsonArray().add("~^/g")));
    List<String> fields = List.of("paths[0]", "paths[1]", "paths[0]");
    for (int i = 0; i < grabs.size(); i++) {
      Http.Reply r = as(acmeToken, HttpMethod.POST, "/routes", grabs.get(i).put("name", "grab" + i).put("service", "svc")
          .put("hosts", acmeHost));
      assertEquals(409, r.status(), r.text());
      JsonObject error = new JsonObject(r.text()).getJsonObject("error");
      assertEquals("route_conflict", error.getString("code"), r.text());
      assertEquals(fields.get(i), error.getJsonArray("fields").getJsonObject(0).getString("field"), r.text());
      assertFalse(r.text().contains("groute") || r.text().contains("globex"), "the other tenant is not named");
    }
    // Without hosts, a route would serve every host, other tenants' among them: a tenant token names its hosts.
    Http.Reply anyHost = as(acmeToken, HttpMethod.POST, "/routes", new JsonObject().put("name", "grab-any")
        .put("service", "svc").put("paths", new JsonArray().add("/g")).put("priority", 1000));
    assertEquals(400, anyHost.status(), anyHost.text());
    assertEquals("hosts", new JsonObject(anyHost.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0)
        .getString("field"), anyHost.text());
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name like 'grab%'"), "nothing written");

    // A route of its own path is fine, and may not be moved onto globex's afterwards (PATCH), nor by a file.
    Http.Reply own = as(acmeToken, HttpMethod.POST, "/routes?wait=true", new JsonObject().put("name", "acme-own")
        .put("service", "svc").put("hosts", acmeHost).put("paths", new JsonArray().add("/acme-own")));
    assertEquals(201, own.status(), own.text());
    String id = new JsonObject(own.text()).getString("id");
    Http.Reply moved = as(acmeToken, HttpMethod.PATCH, "/routes/" + id, new JsonObject().put("paths",
        new JsonArray().add("/g/x")), "If-Match", String.valueOf(new JsonObject(own.text()).getLong("version")));
    assertEquals(409, moved.status(), moved.text());
    assertEquals("[\"/acme-own\"]", gw.db.queryString("select to_json(paths)::text from routes where id = '" + id + "'"));
    JsonObject file = new JsonObject().put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", "svc").put("targets", new JsonArray()
            .add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port())))))
        .put("routes", new JsonArray().add(new JsonObject().put("name", "acme-own").put("service", "svc")
            .put("hosts", acmeHost).put("paths", new JsonArray().add("/acme-own"))).add(new JsonObject()
            .put("name", "grab-file").put("service", "svc").put("hosts", acmeHost)
            .put("paths", new JsonArray().add("/g")).put("priority", 5000)));
    int at = 1;
    for (String dry : List.of("?dry_run=true", "")) {
      Http.Reply applied = as(acmeToken, HttpMethod.PUT, "/config" + dry, file);
      assertEquals(409, applied.status(), applied.text());
      assertEquals("routes[" + at + "].paths[0]", new JsonObject(applied.text()).getJsonObject("error")
          .getJsonArray("fields").getJsonObject(0).getString("field"), applied.text());
    }
    assertEquals(0, gw.db.queryLong("select count(*) from routes where name = 'grab-file'"), "nothing applied");

    // An operator arranges tenants as it sees fit.
    JsonObject byOperator = gw.create("/routes", new JsonObject().put("name", "op-grab").put("service", "svc")
        .put("paths", new JsonArray().add("/g/op")));
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/routes/" + byOperator.getString("id"), null).status());
    assertEquals(204, as(acmeToken, HttpMethod.DELETE, "/routes/" + id, null).status());
    assertEquals(200, gw.get("/g/x").status(), "globex's route still served");
  }

  @Test
  void a_tenant_token_cannot_choose_the_certificate_of_another_tenants_host() {
    // globex serves shop.globex.test (and chose the certificate of globex.example.test in the set-up).
    String gshop = gw.create("/routes", new JsonObject().put("name", "gshop").put("service", "gsvc")
        .put("hosts", new JsonArray().add("shop.globex.test")).put("paths", new JsonArray().add("/"))).getString("id");
    TestCa.Issued cert = CA.leaf("shop.acme.test");
    Http.Reply created = as(acmeToken, HttpMethod.POST, "/certificates", new JsonObject().put("cert", cert.certPem())
        .put("key", cert.keyPem()));
    assertEquals(201, created.status(), created.text());
    String certificate = new JsonObject(created.text()).getString("id");
    // Its name, a wildcard over it, and the default certificate of every name would each give globex's clients
    // acme's certificate.
    for (String name : List.of("shop.globex.test", "SHOP.globex.test", "*.globex.test", "*")) {
      Http.Reply r = as(acmeToken, HttpMethod.POST, "/snis", new JsonObject().put("name", name)
          .put("certificate", certificate));
      assertEquals(409, r.status(), name + ": " + r.text());
      JsonObject error = new JsonObject(r.text()).getJsonObject("error");
      assertEquals("sni_conflict", error.getString("code"), r.text());
      assertEquals("name", error.getJsonArray("fields").getJsonObject(0).getString("field"), r.text());
      assertFalse(r.text().contains("gshop"), "the other tenant's route is not named");
    }
    assertEquals(0, gw.db.queryLong("select count(*) from snis where certificate_id = '" + certificate + "'"),
        "nothing written");

    // A name of its own is fine, and may not be moved onto globex's host afterwards.
    Http.Reply own = as(acmeToken, HttpMethod.POST, "/snis", new JsonObject().put("name", "shop.acme.test")
        .put("certificate", certificate));
    assertEquals(201, own.status(), own.text());
    String sni = new JsonObject(own.text()).getString("id");
    Http.Reply moved = as(acmeToken, HttpMethod.PATCH, "/snis/" + sni, new JsonObject().put("name", "*.globex.test"),
        "If-Match", String.valueOf(new JsonObject(own.text()).getLong("version")));
    assertEquals(409, moved.status(), moved.text());
    assertEquals("shop.acme.test", gw.db.queryString("select name from snis where id = '" + sni + "'"));

    // Nor may acme route a host whose certificate globex chose: its clients would get globex's certificate.
    Http.Reply service = as(acmeToken, HttpMethod.POST, "/services", new JsonObject().put("name", "acme-tls")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + gw.backend.port()))));
    assertEquals(201, service.status(), service.text());
    Http.Reply route = as(acmeToken, HttpMethod.POST, "/routes", new JsonObject().put("name", "acme-on-globex-host")
        .put("service", "acme-tls").put("hosts", new JsonArray().add("shop.acme.test").add("globex.example.test"))
        .put("paths", new JsonArray().add("/acme-tls")));
    assertEquals(409, route.status(), route.text());
    JsonObject error = new JsonObject(route.text()).getJsonObject("error");
    assertEquals("route_conflict", error.getString("code"), route.text());
    assertEquals("hosts[1]", error.getJsonArray("fields").getJsonObject(0).getString("field"), route.text());
    Http.Reply mine = as(acmeToken, HttpMethod.POST, "/routes", new JsonObject().put("name", "acme-on-own-host")
        .put("service", "acme-tls").put("hosts", new JsonArray().add("shop.acme.test"))
        .put("paths", new JsonArray().add("/acme-tls")));
    assertEquals(201, mine.status(), mine.text());

    // An operator arranges certificates as it sees fit.
    JsonObject byOperator = gw.create("/snis", new JsonObject().put("name", "*.globex.test")
        .put("certificate", certificate));
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/snis/" + byOperator.getString("id"), null).status());
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/routes/" + gshop, null).status());
    assertEquals(204, gw.admin(HttpMethod.DELETE, "/routes/" + new JsonObject(mine.text()).getString("id"), null)
        .status());
  }

  @Test
  void tokens_are_listed_without_secrets_and_a_revoked_one_is_refused_on_another_node() {
    JsonObject made = gw.create("/admin-tokens", new JsonObject().put("role", "operator"));
    String token = made.getString("token");
    assertTrue(token.startsWith("sat_"), token);
    TestNode second = gw.addNode();
    try {
      assertEquals(200, as(second, token, HttpMethod.GET, "/services", null).status());
      // The use is noted after the request is answered (best effort, off its path): read until it shows.
      java.util.concurrent.atomic.AtomicReference<JsonArray> seen = new java.util.concurrent.atomic.AtomicReference<>();
      io.sluice.testing.Eventually.eventually("the token's use is noted", () -> {
        seen.set(operatorGet("/admin-tokens").getJsonArray("data"));
        return seen.get().stream().map(JsonObject.class::cast).anyMatch(o -> o.getString("id")
            .equals(made.getString("id")) && o.getString("last_used_at") != null);
      });
      JsonArray listed = seen.get();
      assertFalse(listed.encode().contains(token), "never the token itself");
      JsonObject row = listed.stream().map(JsonObject.class::cast)
          .filter(o -> o.getString("id").equals(made.getString("id"))).findFirst().orElseThrow();
      assertEquals("operator", row.getString("role"));
      assertEquals(token.substring(0, 12), row.getString("prefix"));
      assertNotNull(row.getString("created_at"));
      assertNotNull(row.getString("last_used_at"), "its use was noted");
      assertNull(row.getString("tenant"));
      assertEquals(400, gw.admin(HttpMethod.POST, "/admin-tokens", new JsonObject().put("role", "tenant")).status());

      assertEquals(204, gw.admin(HttpMethod.DELETE, "/admin-tokens/" + made.getString("id"), null).status());
      assertEquals(401, as(second, token, HttpMethod.GET, "/services", null).status(), "refused at once");
      assertEquals(401, as(token, HttpMethod.GET, "/services", null).status());
    } finally {
      gw.nodes.remove(second);
      second.close();
    }
  }
}
