package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Input the admin API used to take and ignore, or store although it could never work: each is refused with a
 * 4xx naming the field, and nothing is written.
 */
@ExtendWith(VertxExtension.class)
class AdminValidationTest {

  private Backend backend;
  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response().end("ok"));
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: orders
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: orders, service: orders, paths: ["/orders"]}
        """.formatted(backend.port()));
  }

  @AfterEach
  void stop() {
    api.close();
    backend.close();
  }

  private static List<String> fields(Http.Reply r) {
    List<String> out = new ArrayList<>();
    for (Object f : new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields")) {
      out.add(((JsonObject) f).getString("field"));
    }
    return out;
  }

  private static String reasons(Http.Reply r) {
    return new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").encode();
  }

  private JsonObject route() {
    Http.Reply list = api.get("/routes");
    return new JsonObject(list.text()).getJsonArray("data").getJsonObject(0);
  }

  @Test
  void a_key_request_with_a_body_is_validated_not_ignored() {
    api.create("/tenants", new JsonObject().put("name", "acme"));
    String consumer = api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "alice"))
        .getString("id");
    String keys = "/consumers/" + consumer + "/keys";
    Http.Reply garbage = api.post(keys, "garbage");
    assertEquals(400, garbage.status(), garbage.text());
    assertEquals(List.of("(body)"), fields(garbage));
    Http.Reply kind = api.post(keys, new JsonObject().put("kind", "password"));
    assertEquals(400, kind.status(), kind.text());
    assertEquals(List.of("kind"), fields(kind));
    Http.Reply own = api.post(keys, new JsonObject().put("key", "sk_mine").put("colour", "red"));
    assertEquals(400, own.status(), own.text());
    assertEquals(List.of("key", "colour"), fields(own));
    assertTrue(reasons(own).contains("unknown key"), own.text());
    assertEquals(0, new JsonObject(api.get(keys).text()).getJsonArray("data").size(), "no key was generated");

    assertEquals(201, api.post(keys, new JsonObject()).status());
    assertEquals(201, api.post(keys, new JsonObject().put("kind", "api-key")).status());
    assertEquals(201, api.call(HttpMethod.POST, keys, null, Map.of()).status(), "no body at all");
    assertEquals(3, new JsonObject(api.get(keys).text()).getJsonArray("data").size());
  }

  /** Ignored, POST /routes?dry_run=true created the route: every write names the parameter it does not take. */
  @Test
  void a_write_with_a_query_parameter_it_does_not_take_is_400_naming_it_and_writes_nothing() {
    long before = api.db.configVersion();
    JsonObject body = new JsonObject().put("name", "dry").put("service", "orders").put("paths", new JsonArray().add("/d"));
    Http.Reply dry = api.post("/routes?dry_run=true", body);
    assertEquals(400, dry.status(), dry.text());
    assertEquals(List.of("dry_run"), fields(dry));
    assertTrue(reasons(dry).contains("only PUT /config and POST /config/rollback have a dry run"), dry.text());
    assertEquals(0, api.db.queryLong("select count(*) from routes where name = 'dry'"));

    JsonObject route = route();
    String at = "/routes/" + route.getString("id");
    Http.Reply put = api.put(at + "?force=1", route.copy().put("paths", new JsonArray().add("/x")), route.getLong("version"));
    assertEquals(400, put.status(), put.text());
    assertEquals(List.of("force"), fields(put));
    Http.Reply patch = api.patch(at + "?wait=true&verbose", new JsonObject().put("priority", 5), route.getLong("version"));
    assertEquals(400, patch.status(), patch.text());
    assertEquals(List.of("verbose"), fields(patch));
    Http.Reply delete = api.delete(at + "?cascade=true");
    assertEquals(400, delete.status(), delete.text());
    assertEquals(List.of("cascade"), fields(delete));
    Http.Reply token = api.post("/admin-tokens?wait=true", new JsonObject().put("role", "operator"));
    assertEquals(400, token.status(), token.text());
    assertEquals(List.of("wait"), fields(token));
    assertEquals(before, api.db.configVersion(), "nothing written");

    Http.Reply config = api.call(HttpMethod.PUT, "/config?dry_run=1", new JsonObject().put("format_version", 1),
        Map.of());
    assertEquals(400, config.status(), config.text());
    assertEquals(List.of("dry_run"), fields(config));

    // What the writes do take stays taken.
    Http.Reply waited = api.post("/routes?wait=true&timeout=2s", body);
    assertEquals(201, waited.status(), waited.text());
    Http.Reply dryConfig = api.call(HttpMethod.PUT, "/config?dry_run=true", new JsonObject().put("format_version", 1)
        .put("services", new JsonArray()).put("routes", new JsonArray()), Map.of());
    assertEquals(200, dryConfig.status(), dryConfig.text());
  }

  @Test
  void a_query_parameter_that_is_not_utf8_is_400_naming_it() {
    Http.Reply r = api.get("/routes?tenant=%ff");
    assertEquals(400, r.status(), r.text());
    assertEquals(List.of("tenant"), fields(r));
    assertTrue(reasons(r).contains("UTF-8"), r.text());
    Http.Reply read = api.get("/routes?tenant=caf%C3%A9");
    assertTrue(reasons(read).contains("no tenant 'café'"), "valid UTF-8 is read as usual: " + read.text());
  }

  @Test
  void a_malformed_if_match_is_400_naming_the_header_and_star_means_any_version() {
    JsonObject route = route();
    String uri = "/routes/" + route.getString("id");
    for (String bad : new String[] {"abc", "12345678901234567890123", "\"3", "1, 2", "-1", "0"}) {
      Http.Reply r = api.call(HttpMethod.PATCH, uri, new JsonObject().put("priority", 5), Map.of("If-Match", bad));
      assertEquals(400, r.status(), bad + ": " + r.text());
      assertEquals(List.of("If-Match"), fields(r), bad);
    }
    Http.Reply stale = api.patch(uri, new JsonObject().put("priority", 5), 99);
    assertEquals(412, stale.status(), stale.text());
    Http.Reply any = api.call(HttpMethod.PATCH, uri, new JsonObject().put("priority", 5), Map.of("If-Match", "*"));
    assertEquals(200, any.status(), any.text());
    assertEquals(5, new JsonObject(any.text()).getInteger("priority"));
    Http.Reply weak = api.call(HttpMethod.PATCH, uri, new JsonObject().put("priority", 6),
        Map.of("If-Match", "W/\"" + new JsonObject(any.text()).getLong("version") + "\""));
    assertEquals(200, weak.status(), weak.text());
  }

  @Test
  void route_paths_that_can_never_match_and_bad_header_names_are_refused() {
    Map<String, String> never = Map.of("/x%2fy", "refuses", "/%61dmin", "write 'a'", "=/a%5cb", "refuses",
        "/a%3fb", "upper-case");
    for (Map.Entry<String, String> e : never.entrySet()) {
      Http.Reply r = api.post("/routes", new JsonObject().put("name", "never").put("service", "orders")
          .put("paths", new JsonArray().add("/ok").add(e.getKey())));
      assertEquals(400, r.status(), e.getKey() + ": " + r.text());
      assertEquals(List.of("paths[1]"), fields(r), e.getKey());
      assertTrue(reasons(r).contains("can never match") && reasons(r).contains(e.getValue()), r.text());
    }
    Http.Reply header = api.post("/routes", new JsonObject().put("name", "hdr").put("service", "orders")
        .put("headers", new JsonObject().put("bad header", new JsonArray().add("1"))));
    assertEquals(400, header.status(), header.text());
    assertTrue(fields(header).get(0).startsWith("headers"), header.text());
    assertEquals(201, api.post("/routes", new JsonObject().put("name", "fine").put("service", "orders")
        .put("paths", new JsonArray().add("/a%3Fb/%E2%82%AC"))).status(), "a reserved or non-ASCII escape is fine");
    assertEquals(2, new JsonObject(api.get("/routes").text()).getJsonArray("data").size());
  }

  /** A path with a space and an empty list of paths: the field, and the reason in words, not the validator's. */
  @Test
  void a_path_with_a_space_and_no_paths_are_refused_in_words() {
    Http.Reply space = api.post("/routes", new JsonObject().put("name", "spaced").put("service", "orders")
        .put("paths", new JsonArray().add("/a b")));
    assertEquals(400, space.status(), space.text());
    assertEquals(new JsonArray().add(new JsonObject().put("field", "paths[0]").put("reason", "a space at 2 is not"
        + " allowed: a path holds printable ASCII characters other than space, ? and #; write it percent-encoded,"
        + " as %20")), new JsonObject(space.text()).getJsonObject("error").getJsonArray("fields"));
    Http.Reply none = api.post("/routes", new JsonObject().put("name", "none").put("service", "orders")
        .put("paths", new JsonArray()));
    assertEquals(400, none.status(), none.text());
    assertEquals(new JsonArray().add(new JsonObject().put("field", "paths").put("reason", "needs at least one item")),
        new JsonObject(none.text()).getJsonObject("error").getJsonArray("fields"));
    assertEquals(0, api.db.queryLong("select count(*) from routes where name in ('spaced', 'none')"));
  }

  /** Found from outside: a wrong type, a constant and an enumeration were refused in the validator's own words. */
  @Test
  void a_wrong_type_a_constant_and_an_enumeration_are_refused_in_words() {
    Http.Reply typed = api.post("/routes", new JsonObject().put("name", "typed").put("service", "orders")
        .put("paths", new JsonArray().add("/t")).put("priority", "high").put("strip_path", "yes"));
    assertEquals(400, typed.status(), typed.text());
    assertEquals(new JsonArray()
            .add(new JsonObject().put("field", "priority").put("reason", "must be an integer, not a string"))
            .add(new JsonObject().put("field", "strip_path").put("reason", "must be true or false, not a string")),
        new JsonObject(typed.text()).getJsonObject("error").getJsonArray("fields"));
    Http.Reply file = api.call(HttpMethod.PUT, "/config", new JsonObject().put("format_version", 2), Map.of());
    assertEquals(400, file.status(), file.text());
    assertTrue(file.text().contains("\"reason\":\"must be 1\""), file.text());
    String enumerated = api.call(HttpMethod.PUT, "/config", new JsonObject().put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", "s").put("targets", new JsonArray()
            .add(new JsonObject().put("address", "127.0.0.1:1"))).put("load_balancing", new JsonObject()
            .put("algorithm", "fastest")))), Map.of()).text();
    assertTrue(enumerated.contains("must be one of: "), enumerated);
    assertFalse(enumerated.contains("enumeration"), enumerated);
  }

  /** Requests arrive percent-encoded, header values trimmed and read as Latin-1, request lines bounded. */
  @Test
  void route_match_values_no_request_can_present_are_refused_naming_the_field() {
    Map<String, String> paths = Map.of("/café", "write 'é' as %C3%A9", "/u7\u00a0x", "write '\u00a0' as %C2%A0",
        "=/" + "a".repeat(100_000), "longer than 8192");
    for (Map.Entry<String, String> e : paths.entrySet()) {
      Http.Reply r = api.post("/routes", new JsonObject().put("name", "never").put("service", "orders")
          .put("paths", new JsonArray().add("/ok").add(e.getKey())));
      assertEquals(400, r.status(), r.text());
      assertEquals(List.of("paths[1]"), fields(r));
      assertTrue(reasons(r).contains(e.getValue()), r.text());
    }
    Map<String, String> values = Map.of(" prod", "leading or trailing spaces", "prod ", "leading or trailing spaces",
        "产品", "beyond Latin-1");
    for (Map.Entry<String, String> e : values.entrySet()) {
      Http.Reply r = api.post("/routes", new JsonObject().put("name", "never").put("service", "orders")
          .put("headers", new JsonObject().put("X-Env", new JsonArray().add("prod").add(e.getKey()))));
      assertEquals(400, r.status(), r.text());
      assertEquals(List.of("headers.X-Env[1]"), fields(r));
      assertTrue(reasons(r).contains(e.getValue()), r.text());
    }
    // A fully qualified name's trailing dot: the reason says to drop it (requests with the dot still reach the host).
    Http.Reply dotted = api.post("/routes", new JsonObject().put("name", "never").put("service", "orders")
        .put("hosts", new JsonArray().add("b.test.")));
    assertEquals(400, dotted.status(), dotted.text());
    assertEquals(List.of("hosts[0]"), fields(dotted));
    assertTrue(reasons(dotted).contains("without a trailing dot: b.test, not b.test."), dotted.text());
    assertEquals(0, api.db.queryLong("select count(*) from routes where name = 'never'"));
    assertEquals(201, api.post("/routes", new JsonObject().put("name", "fine").put("service", "orders")
        .put("paths", new JsonArray().add("/caf%C3%A9")).put("headers", new JsonObject().put("X-Env",
            new JsonArray().add("pr od").add("café")))).status(), "escaped, inner space and Latin-1 are fine");
  }

  @Test
  void a_service_path_longer_than_2048_is_refused() {
    JsonObject service = new JsonObject().put("name", "long").put("targets", new JsonArray()
        .add(new JsonObject().put("address", "127.0.0.1:" + backend.port())));
    Http.Reply r = api.post("/services", service.copy().put("path", "/" + "a".repeat(100 * 1024)));
    assertEquals(400, r.status(), r.text());
    assertEquals(List.of("path"), fields(r));
    assertEquals(201, api.post("/services", service.put("path", "/" + "a".repeat(2047))).status());
  }

  @Test
  void an_empty_patch_writes_nothing() {
    JsonObject route = route();
    String uri = "/routes/" + route.getString("id");
    long before = api.db.configVersion();
    long history = api.db.queryLong("select count(*) from change_log");
    Http.Reply r = api.patch(uri, new JsonObject(), route.getLong("version"));
    assertEquals(200, r.status(), r.text());
    assertEquals(route.getLong("version"), new JsonObject(r.text()).getLong("version"));
    Http.Reply same = api.patch(uri, new JsonObject().put("priority", route.getInteger("priority")),
        route.getLong("version"));
    assertEquals(200, same.status(), same.text());
    assertEquals(route.getLong("version"), new JsonObject(same.text()).getLong("version"));
    assertEquals(before, api.db.configVersion(), "no new configuration version");
    assertEquals(history, api.db.queryLong("select count(*) from change_log"), "no change-log entry");
    Http.Reply real = api.patch(uri, new JsonObject().put("priority", 3), route.getLong("version"));
    assertEquals(route.getLong("version") + 1, new JsonObject(real.text()).getLong("version"));
  }

  /**
   * Found from outside: a PUT of an entity as GET answered it made a new version and a history entry whose before
   * and after differed only in version and time. It writes nothing now, as a PATCH that changes nothing.
   */
  @Test
  void a_put_of_the_entity_as_it_is_writes_nothing() {
    api.create("/tenants", new JsonObject().put("name", "acme-put"));
    JsonObject consumer = api.create("/consumers", new JsonObject().put("tenant", "acme-put").put("username", "pat"));
    JsonObject plugin = api.create("/plugins", new JsonObject().put("name", "cors").put("scope", "global")
        .put("config", new JsonObject().put("origins", new JsonArray().add("https://put.example"))));
    JsonObject service = new JsonObject(api.get("/services").text()).getJsonArray("data").getJsonObject(0);
    JsonObject route = route();
    List<String> uris = List.of("/routes/" + route.getString("id"), "/services/" + service.getString("id"),
        "/consumers/" + consumer.getString("id"), "/plugins/" + plugin.getString("id"));
    long before = api.db.configVersion();
    long history = api.db.queryLong("select count(*) from change_log");
    for (String uri : uris) {
      JsonObject current = new JsonObject(api.get(uri).text());
      Http.Reply r = api.call(HttpMethod.PUT, uri, current, Map.of("If-Match", "*"));
      assertEquals(200, r.status(), uri + ": " + r.text());
      assertEquals(current, new JsonObject(r.text()), uri + ": the entity unchanged, at its version");
    }
    assertEquals(before, api.db.configVersion(), "no new configuration version");
    assertEquals(history, api.db.queryLong("select count(*) from change_log"), "no change-log entry");
    JsonObject current = new JsonObject(api.get(uris.get(0)).text());
    Http.Reply real = api.call(HttpMethod.PUT, uris.get(0), current.copy().put("priority", 7), Map.of("If-Match", "*"));
    assertEquals(current.getLong("version") + 1, new JsonObject(real.text()).getLong("version"), "a change is one");
  }

  @Test
  void a_patch_of_nulls_that_restore_the_defaults_the_entity_has_writes_nothing() {
    api.create("/tenants", new JsonObject().put("name", "acme"));
    JsonObject consumer = api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "bob"));
    JsonObject plugin = api.create("/plugins", new JsonObject().put("name", "cors").put("scope", "global"));
    JsonObject service = new JsonObject(api.get("/services").text()).getJsonArray("data").getJsonObject(0);
    JsonObject route = route();
    Map<String, JsonObject> patches = Map.of(
        "/routes/" + route.getString("id"), new JsonObject().putNull("hosts").putNull("methods").putNull("headers")
            .putNull("strip_path").putNull("preserve_host").putNull("priority"),
        "/services/" + service.getString("id"), new JsonObject().putNull("path").putNull("retries"),
        "/consumers/" + consumer.getString("id"), new JsonObject().putNull("groups"),
        "/plugins/" + plugin.getString("id"), new JsonObject().putNull("enabled"));
    long before = api.db.configVersion();
    long history = api.db.queryLong("select count(*) from change_log");
    patches.forEach((uri, nulls) -> {
      JsonObject current = new JsonObject(api.get(uri).text());
      Http.Reply r = api.call(HttpMethod.PATCH, uri, nulls, Map.of("If-Match", "*"));
      assertEquals(200, r.status(), uri + ": " + r.text());
      assertEquals(current, new JsonObject(r.text()), uri + ": the entity unchanged, at its version");
      assertEquals("\"" + current.getLong("version") + "\"", r.header("ETag"), uri);
    });
    assertEquals(before, api.db.configVersion(), "no new configuration version");
    assertEquals(history, api.db.queryLong("select count(*) from change_log"), "no change-log entry");
    Http.Reply real = api.call(HttpMethod.PATCH, "/routes/" + route.getString("id"),
        new JsonObject().putNull("paths"), Map.of("If-Match", "*"));
    assertEquals(new JsonArray().add("/"), new JsonObject(real.text()).getJsonArray("paths"),
        "a null that is not what the entity has still writes its default");
    assertEquals(route.getLong("version") + 1, new JsonObject(real.text()).getLong("version"));
  }

  /** A null is the field's default on every write, as a merge patch reads it: a platform's PATCH and POST agree. */
  @Test
  void a_null_in_a_create_or_a_replace_is_the_default_as_in_a_patch() {
    Http.Reply created = api.post("/routes", new JsonObject().put("name", "nulls").put("service", "orders")
        .putNull("hosts").putNull("methods").put("paths", new JsonArray().add("/nulls")));
    assertEquals(201, created.status(), created.text());
    JsonObject route = new JsonObject(created.text());
    assertEquals(new JsonArray(), route.getJsonArray("hosts"), created.text());
    String uri = "/routes/" + route.getString("id");
    Http.Reply hosted = api.patch(uri, new JsonObject().put("hosts", new JsonArray().add("n.test")),
        route.getLong("version"));
    assertEquals(200, hosted.status(), hosted.text());
    Http.Reply replaced = api.call(HttpMethod.PUT, uri, new JsonObject().put("name", "nulls").put("service", "orders")
        .putNull("hosts").put("paths", new JsonArray().add("/nulls")), Map.of("If-Match", "*"));
    assertEquals(200, replaced.status(), replaced.text());
    assertEquals(new JsonArray(), new JsonObject(replaced.text()).getJsonArray("hosts"), replaced.text());
    Http.Reply nameless = api.post("/routes", new JsonObject().putNull("name").put("service", "orders"));
    assertEquals(400, nameless.status(), nameless.text());
    assertEquals(List.of("name"), fields(nameless), "a required field given null is missing: " + nameless.text());
  }

  @Test
  void a_bracketed_target_that_is_not_an_ipv6_address_is_refused_with_a_clear_reason() {
    Http.Reply r = api.post("/services", new JsonObject().put("name", "v6").put("targets", new JsonArray()
        .add(new JsonObject().put("address", "[1::2::3]:19070"))));
    assertEquals(400, r.status(), r.text());
    assertEquals(List.of("targets[0].address"), fields(r));
    assertTrue(reasons(r).contains("is not an IPv6 address"), r.text());
  }

  /**
   * A whole-number float (1.0, 1e2) in an integer field is that integer, as JSON Schema and PUT /config count it,
   * on every entity and in a policy's config: stored and answered as 100, never 100.0 nor a 500 from an integer
   * column; a fraction stays a 400 naming the field.
   */
  @Test
  void a_whole_number_float_in_an_integer_field_is_stored_and_answered_as_the_integer() {
    Http.Reply created = api.post("/services", "{\"name\": \"f1\", \"retries\": 1.0, \"timeouts\": {\"connect_ms\":"
        + " 1e3}, \"targets\": [{\"address\": \"127.0.0.1:" + backend.port() + "\", \"weight\": 1e2}]}");
    assertEquals(201, created.status(), created.text());
    JsonObject service = new JsonObject(created.text());
    assertEquals(List.of(1, 1000, 100), List.of(service.getValue("retries"),
        service.getJsonObject("timeouts").getValue("connect_ms"),
        service.getJsonArray("targets").getJsonObject(0).getValue("weight")), created.text());
    String uri = "/services/" + service.getString("id");
    Http.Reply patched = api.patch(uri, "{\"retries\": 3.0, \"circuit_breaker\": {\"failures\": 2E1}}",
        service.getLong("version"));
    assertEquals(200, patched.status(), patched.text());
    JsonObject now = new JsonObject(patched.text());
    assertEquals(List.of(3, 20, 100), List.of(now.getValue("retries"),
        now.getJsonObject("circuit_breaker").getValue("failures"),
        now.getJsonArray("targets").getJsonObject(0).getValue("weight")), patched.text());
    Http.Reply fraction = api.patch(uri, "{\"retries\": 1.5}", now.getLong("version"));
    assertEquals(400, fraction.status(), fraction.text());
    assertEquals(List.of("retries"), fields(fraction));

    Http.Reply route = api.post("/routes", "{\"name\": \"f2\", \"service\": \"f1\", \"paths\": [\"/f2\"],"
        + " \"priority\": 1e0}");
    assertEquals(201, route.status(), route.text());
    JsonObject r = new JsonObject(route.text());
    assertEquals(1, r.getValue("priority"), route.text());
    Http.Reply moved = api.patch("/routes/" + r.getString("id"), "{\"priority\": 5.0}", r.getLong("version"));
    assertEquals(200, moved.status(), moved.text());
    assertEquals(5, new JsonObject(moved.text()).getValue("priority"), moved.text());
    Http.Reply half = api.post("/routes", "{\"name\": \"f3\", \"service\": \"f1\", \"priority\": 0.5}");
    assertEquals(400, half.status(), half.text());
    assertEquals(List.of("priority"), fields(half));

    Http.Reply plugin = api.post("/plugins", "{\"name\": \"rate-limiting\", \"scope\": \"route\", \"route\":"
        + " \"f2\", \"config\": {\"minute\": 1e2}}");
    assertEquals(201, plugin.status(), plugin.text());
    assertEquals(100, new JsonObject(plugin.text()).getJsonObject("config").getValue("minute"), plugin.text());
    assertEquals(1, api.db.queryLong("select count(*) from services where name = 'f1' and retries = 3"));
  }
}
