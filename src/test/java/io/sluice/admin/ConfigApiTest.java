package io.sluice.admin;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** GET and PUT /config on a node in PostgreSQL mode: export, diffed apply, dry run, all or nothing. */
@ExtendWith(VertxExtension.class)
class ConfigApiTest {

  static final String TOKEN = "test-admin-token";

  private TestDatabase db;
  private Backend backend;
  private TestNode node;
  private Http http;

  @BeforeEach
  void start(Vertx vertx) {
    db = TestDatabase.migrated();
    backend = Backend.start(vertx, req -> req.response().end("backend " + req.path()));
    http = new Http(vertx);
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            tenant: acme
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: first, service: svc, paths: ["/first"]}
          - {name: keep, service: svc, paths: ["/keep"], headers: {X-A: ["1", "2"]}, methods: [GET]}
        """.formatted(backend.port()), Map.of("SLUICE_PG_URL", pgUrl(db), "SLUICE_ADMIN_TOKEN", TOKEN));
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
    db.close();
  }

  static String pgUrl(TestDatabase db) {
    return db.url();
  }

  private Http.Reply get(String accept) {
    RequestOptions o = admin(HttpMethod.GET, "/config");
    if (accept != null) {
      o.putHeader("Accept", accept);
    }
    return http.call(o);
  }

  private Http.Reply put(String query, String contentType, String body) {
    return http.call(admin(HttpMethod.PUT, "/config" + query).putHeader("Content-Type", contentType),
        Buffer.buffer(body));
  }

  private RequestOptions admin(HttpMethod method, String uri) {
    return new RequestOptions().setHost("127.0.0.1").setPort(node.adminPort()).setMethod(method).setURI(uri)
        .putHeader("Authorization", "Bearer " + TOKEN);
  }

  private int proxyStatus(String path) {
    return http.get(node.proxyPort(), path).status();
  }

  private static Set<String> changes(JsonObject answer) {
    Set<String> out = new HashSet<>();
    for (Object o : answer.getJsonArray("changes")) {
      JsonObject c = (JsonObject) o;
      out.add(c.getString("op") + " " + c.getString("entity") + " " + c.getString("name"));
    }
    return out;
  }

  private String changedFile() {
    return """
        format_version: 1
        services:
          - name: svc
            tenant: acme
            targets: [{address: "127.0.0.1:%1$d"}]
            retries: 1
          - name: other
            tenant: newco
            targets: [{address: "127.0.0.1:%1$d"}]
        routes:
          - {name: keep, service: svc, paths: ["/keep"], headers: {X-A: ["1", "2"]}, methods: [GET]}
          - {name: second, service: other, paths: ["/second"]}
        """.formatted(backend.port());
  }

  @Test
  void export_then_apply_is_a_no_op() {
    long before = db.configVersion();
    Http.Reply export = get(null);
    assertEquals(200, export.status(), export.text());
    assertEquals("application/yaml", export.header("Content-Type"));
    assertEquals(Long.toString(before), export.header("Sluice-Config-Version"));
    assertTrue(export.text().contains("name: \"keep\""), export.text());

    Http.Reply applied = put("", "application/yaml", export.text());
    assertEquals(200, applied.status(), applied.text());
    JsonObject answer = applied.body().toJsonObject();
    assertEquals(0, answer.getInteger("created"));
    assertEquals(0, answer.getInteger("updated"));
    assertEquals(0, answer.getInteger("deleted"));
    assertEquals(before, answer.getLong("version"));
    assertEquals(Long.toString(before), applied.header("Sluice-Config-Version"));
    assertEquals(before, db.configVersion(), "nothing written, no version bumped");

    Http.Reply json = get("application/json");
    Http.Reply again = put("", "application/json", json.text());
    assertEquals(0, again.body().toJsonObject().getJsonArray("changes").size(), again.text());
  }

  @Test
  void export_is_json_or_yaml_by_accept() {
    Http.Reply json = get("application/json");
    assertEquals(200, json.status());
    assertEquals("application/json", json.header("Content-Type"));
    JsonObject doc = json.body().toJsonObject();
    assertEquals(1, doc.getInteger("format_version"));
    assertEquals("acme", doc.getJsonArray("services").getJsonObject(0).getString("tenant"));
    JsonArray routes = doc.getJsonArray("routes");
    assertEquals("first", routes.getJsonObject(0).getString("name"));
    assertEquals("keep", routes.getJsonObject(1).getString("name"));

    Http.Reply yaml = get("application/yaml");
    assertEquals("application/yaml", yaml.header("Content-Type"));
    assertTrue(yaml.text().startsWith("format_version: 1"), yaml.text());
    assertEquals(json.header("Sluice-Config-Version"), yaml.header("Sluice-Config-Version"));
  }

  @Test
  void apply_creates_updates_and_deletes_by_name_and_the_proxy_follows() throws Exception {
    assertEquals(200, proxyStatus("/first/x"));
    Http.Reply applied = put("", "application/yaml", changedFile());
    assertEquals(200, applied.status(), applied.text());
    JsonObject answer = applied.body().toJsonObject();
    assertEquals(Set.of("create tenant newco", "create service other", "update service svc",
        "delete route first", "create route second"), changes(answer));
    assertEquals(3, answer.getInteger("created"));
    assertEquals(1, answer.getInteger("updated"));
    assertEquals(1, answer.getInteger("deleted"));
    assertEquals(db.configVersion(), answer.getLong("version"));
    assertEquals(answer.getLong("version").toString(), applied.header("Sluice-Config-Version"));
    assertEquals(1, db.queryLong("select retries from services where name = 'svc'"));
    assertEquals(1, db.queryLong("select version from routes where name = 'keep'"), "an equal route is not rewritten");

    eventually("the new route answers and the deleted one is gone",
        () -> proxyStatus("/second/x") == 200 && proxyStatus("/first/x") == 404);
    assertEquals(200, http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/keep/x")
        .putHeader("X-A", "2")).status(), "the unchanged route still answers");

    // Taking the service away again deletes the route before the service (foreign keys).
    Http.Reply back = put("", "application/yaml", changedFile().replaceAll("(?s)  - name: other.*?routes:", "routes:")
        .replace("  - {name: second, service: other, paths: [\"/second\"]}\n", ""));
    assertEquals(200, back.status(), back.text());
    assertEquals(Set.of("delete route second", "delete service other"), changes(back.body().toJsonObject()));
    eventually("the route of the deleted service is gone", () -> proxyStatus("/second/x") == 404);
  }

  @Test
  void dry_run_reports_the_diff_and_writes_nothing() {
    long before = db.configVersion();
    Http.Reply dry = put("?dry_run=true", "application/yaml", changedFile());
    assertEquals(200, dry.status(), dry.text());
    JsonObject answer = dry.body().toJsonObject();
    assertTrue(answer.getBoolean("dry_run"));
    assertEquals(5, answer.getJsonArray("changes").size(), dry.text());
    assertEquals(before, answer.getLong("version"));
    assertEquals(before, db.configVersion());
    assertEquals(0, db.queryLong("select count(*) from services where name = 'other'"));
    assertEquals(0, db.queryLong("select count(*) from tenants where name = 'newco'"));
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'first'"));
  }

  @Test
  void a_file_with_one_bad_route_changes_nothing_and_lists_every_error() {
    long before = db.configVersion();
    String bad = changedFile() + "  - {name: third, service: ghost, paths: [\"nope\"]}\n";
    Http.Reply refused = put("", "application/yaml", bad);
    assertEquals(400, refused.status(), refused.text());
    JsonObject error = refused.body().toJsonObject().getJsonObject("error");
    assertEquals("invalid", error.getString("code"));
    assertEquals(400, error.getInteger("status"));
    Set<String> fields = new HashSet<>();
    error.getJsonArray("fields").forEach(f -> fields.add(((JsonObject) f).getString("field")));
    assertTrue(fields.contains("routes[2].paths[0]"), refused.text());
    assertEquals(before, db.configVersion(), "no version bumped");
    assertEquals(2, db.queryLong("select count(*) from routes"));
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'first'"));
    assertEquals(0, db.queryLong("select count(*) from services where name = 'other'"));

    Http.Reply ghost = put("", "application/yaml",
        changedFile() + "  - {name: third, service: ghost}\n");
    assertEquals(400, ghost.status());
    assertTrue(ghost.text().contains("no service named 'ghost'"), ghost.text());

    Http.Reply garbage = put("", "application/json", "{not json");
    assertEquals(400, garbage.status());
    assertTrue(garbage.text().contains("(document)"), garbage.text());
  }

  /** Jackson reads {@code *v} as the string "v": an alias is refused where it stands instead of stored as "v". */
  @Test
  void a_yaml_alias_is_refused_with_its_field_and_nothing_is_written() {
    long before = db.configVersion();
    String aliased = changedFile().replace("X-A: [\"1\", \"2\"]", "X-A: [&v prod]")
        + "  - {name: third, service: svc, paths: [\"/third\"], headers: {X-A: [*v]}}\n";
    Http.Reply refused = put("", "application/yaml", aliased);
    assertEquals(400, refused.status(), refused.text());
    JsonObject field = refused.body().toJsonObject().getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("routes[0].headers.X-A[0]", field.getString("field"), refused.text());
    assertEquals("YAML anchors (&v) are not supported: write the value out", field.getString("reason"));

    Http.Reply alias = put("", "application/yaml", changedFile().replace("service: other", "service: *o"));
    assertEquals(400, alias.status(), alias.text());
    assertTrue(alias.text().contains("routes[1].service") && alias.text().contains("YAML aliases (*o)"), alias.text());
    assertEquals(before, db.configVersion(), "no version bumped");
    assertEquals(0, db.queryLong("select count(*) from routes where name = 'third'"));
  }

  @Test
  void a_plugin_on_a_route_the_file_leaves_out_is_deleted_with_it() {
    // Plugins are in the file: one on route 'first', absent from the changed file, goes before its route.
    db.transaction("insert into plugins (name, scope, route_id) select 'cors', 'route', id from routes"
        + " where name = 'first'");
    Http.Reply applied = put("", "application/yaml", changedFile());
    assertEquals(200, applied.status(), applied.text());
    assertTrue(applied.text().contains("{\"entity\":\"plugin\",\"name\":\"cors (route first)\",\"op\":\"delete\"}"),
        applied.text());
    assertEquals(0, db.queryLong("select count(*) from plugins"));
    assertEquals(1, db.queryLong("select count(*) from services where name = 'other'"));
  }

  @Test
  void the_admin_token_is_required() {
    Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.adminPort()).setURI("/config"));
    assertEquals(401, r.status());
  }
}
