package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin API against hostile input: every string field of every resource given a NUL, a lone surrogate,
 * CR/LF and bytes that are not UTF-8 answers 400 naming the field and stores nothing; bodies that are not
 * JSON, too large, or multipart are refused in JSON and never written to disk.
 */
@ExtendWith(VertxExtension.class)
class AdminHardeningTest {

  private static final List<String> TABLES = List.of("tenants", "services", "routes", "consumers", "credentials",
      "plugins", "stream_tokens");

  private Backend backend;
  private AdminApi api;
  private JsonObject consumer;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.named(vertx, "b");
    api = new AdminApi(vertx, TestNode.simpleRoutes("", backend.port()));
    api.create("/tenants", new JsonObject().put("name", "t1"));
    consumer = api.create("/consumers", new JsonObject().put("tenant", "t1").put("username", "u1"));
  }

  @AfterEach
  void stop() {
    api.close();
    backend.close();
  }

  /** A valid body for each collection (only the fields that are strings are mutated below). */
  private Map<String, JsonObject> examples() {
    Map<String, JsonObject> m = new LinkedHashMap<>();
    m.put("/tenants", new JsonObject().put("name", "acme"));
    m.put("/services", new JsonObject().put("name", "svc2").put("tenant", "t1").put("path", "/base")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9"))));
    m.put("/routes", new JsonObject().put("name", "r2").put("service", "svc").put("paths", new JsonArray().add("/r2"))
        .put("hosts", new JsonArray().add("a.example")).put("methods", new JsonArray().add("GET"))
        .put("headers", new JsonObject().put("X-Version", new JsonArray().add("1"))));
    m.put("/consumers", new JsonObject().put("tenant", "t1").put("username", "u2").put("custom_id", "c2")
        .put("groups", new JsonArray().add("g")));
    m.put("/plugins", new JsonObject().put("name", "correlation-id").put("scope", "global")
        .put("config", new JsonObject().put("header_name", "X-Corr")));
    m.put("/consumers/" + consumer.getString("id") + "/jwt", new JsonObject().put("issuer", "iss")
        .put("algorithm", "HS256").put("secret", "an-hs256-shared-secret-of-32-chars-or-more"));
    return m;
  }

  private Map<String, Long> counts() {
    Map<String, Long> c = new LinkedHashMap<>();
    for (String t : TABLES) {
      c.put(t, api.db.queryLong("select count(*) from " + t));
    }
    return c;
  }

  /** Every path to a string value (or an object key) of {@code doc}, as a list of steps. */
  private static void strings(Object node, List<Object> path, List<List<Object>> out) {
    if (node instanceof String) {
      out.add(new ArrayList<>(path));
    } else if (node instanceof JsonObject o) {
      for (String k : o.fieldNames()) {
        path.add(k);
        strings(o.getValue(k), path, out);
        path.remove(path.size() - 1);
      }
    } else if (node instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        path.add(i);
        strings(a.getValue(i), path, out);
        path.remove(path.size() - 1);
      }
    }
  }

  private static JsonObject with(JsonObject doc, List<Object> path, String value) {
    JsonObject copy = doc.copy();
    Object parent = copy;
    for (int i = 0; i < path.size() - 1; i++) {
      Object step = path.get(i);
      parent = parent instanceof JsonObject o ? o.getValue((String) step) : ((JsonArray) parent).getValue((Integer) step);
    }
    Object last = path.get(path.size() - 1);
    if (parent instanceof JsonObject o) {
      o.put((String) last, value);
    } else {
      ((JsonArray) parent).set((Integer) last, value);
    }
    return copy;
  }

  private static String field(List<Object> path) {
    StringBuilder b = new StringBuilder();
    for (Object step : path) {
      if (step instanceof Integer i) {
        b.append('[').append(i).append(']');
      } else {
        b.append(b.length() == 0 ? "" : ".").append(step);
      }
    }
    return b.toString();
  }

  @Test
  void every_string_field_of_every_resource_refuses_nul_surrogates_control_characters_and_bad_utf8() {
    Map<String, Long> before = counts();
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, JsonObject> e : examples().entrySet()) {
      List<List<Object>> paths = new ArrayList<>();
      strings(e.getValue(), new ArrayList<>(), paths);
      for (List<Object> path : paths) {
        // As they appear escaped in the JSON text (a lone surrogate cannot be encoded as UTF-8 at all).
        for (String bad : List.of("a\\u0000b", "a\\ud800b", "a\\udc00b", "a\\r\\nb", "a\\nX-Injected: 1",
            "a\\u0085b")) {
          String marker = "MARK-" + field(path);
          String json = with(e.getValue(), path, marker).encode().replace(marker, bad);
          Http.Reply r = api.http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
              .setPort(api.node.adminPort()).setURI(e.getKey()).putHeader("Authorization", "Bearer " + AdminApi.TOKEN)
              .putHeader("Content-Type", "application/json"), Buffer.buffer(json));
          String what = e.getKey() + " " + field(path) + "=" + bad;
          if (r.status() != 400) {
            failures.add(what + ": " + r.status() + " " + r.text());
          } else if (!r.text().contains("\"field\":\"" + field(path) + "\"")) {
            failures.add(what + ": the error does not name the field: " + r.text());
          }
        }
        // Bytes that are not UTF-8 at the place of the value (0xC3 0x28 is a broken two-byte sequence).
        String marker = "MARK-" + field(path);
        byte[] raw = with(e.getValue(), path, marker).encode().getBytes(StandardCharsets.UTF_8);
        String text = new String(raw, StandardCharsets.ISO_8859_1).replace(marker, "a\u00c3(b");
        Http.Reply r = api.http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
            .setPort(api.node.adminPort()).setURI(e.getKey()).putHeader("Authorization", "Bearer " + AdminApi.TOKEN)
            .putHeader("Content-Type", "application/json"), Buffer.buffer(text.getBytes(StandardCharsets.ISO_8859_1)));
        if (r.status() != 400 || !r.text().contains("UTF-8")) {
          failures.add(e.getKey() + " " + field(path) + " with invalid UTF-8: " + r.status() + " " + r.text());
        }
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " not refused as they should be:\n"
        + printable(String.join("\n", failures)));
    assertEquals(before, counts(), "nothing was stored");
  }

  /** C1 controls (U+0080 to U+009F) are control characters too: a target would get them as raw header bytes. */
  @Test
  void c1_control_characters_are_refused_in_a_name_and_in_a_header_value_a_transformer_would_send() {
    Map<String, Long> before = counts();
    Http.Reply tenant = api.post("/tenants", new JsonObject().put("name", "a\u0085b"));
    assertEquals(400, tenant.status(), tenant.text());
    assertTrue(tenant.text().contains("\"field\":\"name\"") && tenant.text().contains("0x85"), tenant.text());
    Http.Reply plugin = api.post("/plugins", new JsonObject().put("name", "request-transformer").put("scope", "global")
        .put("config", new JsonObject().put("add", new JsonObject().put("headers",
            new JsonObject().put("X-C1", "a\u0085b\u009bc")))));
    assertEquals(400, plugin.status(), plugin.text());
    assertTrue(plugin.text().contains("\"field\":\"config.add.headers.X-C1\""), plugin.text());
    assertEquals(before, counts(), "nothing was stored");
    Http.Reply latin = api.post("/consumers", new JsonObject().put("tenant", "t1").put("username", "caf\u00e9\u00a0x"));
    assertEquals(201, latin.status(), "from U+00A0 on, characters are printable: " + latin.text());
  }

  /**
   * A valid declarative file whose strings are mutated below: a service in a new tenant, a route with a header
   * (a map), a consumer in a new tenant with a key and a JWT credential (nested lists).
   */
  private JsonObject file() {
    return new JsonObject().put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", "svc")
                .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + backend.port()))))
            .add(new JsonObject().put("name", "svc2").put("tenant", "t2").put("path", "/base")
                .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9")))))
        .put("routes", new JsonArray().add(new JsonObject().put("name", "all").put("service", "svc")
                .put("paths", new JsonArray().add("/")))
            .add(new JsonObject().put("name", "r2").put("service", "svc2").put("paths", new JsonArray().add("/r2"))
                .put("hosts", new JsonArray().add("a.example"))
                .put("headers", new JsonObject().put("X-Version", new JsonArray().add("1")))))
        .put("consumers", new JsonArray().add(new JsonObject().put("tenant", "t3").put("username", "u2")
            .put("custom_id", "c2").put("groups", new JsonArray().add("g"))
            .put("keys", new JsonArray().add(new JsonObject().put("prefix", "legacy")
                .put("digest", "hmac-sha256:" + "0".repeat(64))))
            .put("jwt", new JsonArray().add(new JsonObject().put("issuer", "iss").put("algorithm", "HS256")
                .put("secret", "an-hs256-shared-secret-of-32-chars-or-more")))));
  }

  private Http.Reply putConfig(String contentType, String body) {
    return api.http.call(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1")
        .setPort(api.node.adminPort()).setURI("/config").putHeader("Authorization", "Bearer " + AdminApi.TOKEN)
        .putHeader("Content-Type", contentType), Buffer.buffer(body));
  }

  /** PUT /config holds every string of the file, nested or a map's key, YAML or JSON, to the same rule. */
  @Test
  void every_string_of_a_declarative_file_refuses_nul_and_control_characters_naming_the_field() {
    Http.Reply valid = api.call(HttpMethod.PUT, "/config?dry_run=true", file(), Map.of());
    assertEquals(200, valid.status(), "the file is valid as it is: " + valid.text());
    Map<String, Long> before = counts();
    long version = api.db.configVersion();
    List<String> failures = new ArrayList<>();
    List<List<Object>> paths = new ArrayList<>();
    strings(file(), new ArrayList<>(), paths);
    for (List<Object> path : paths) {
      for (String bad : List.of("a\\u0000b", "a\\u0001b", "a\\u001bb", "a\\u009bb")) {
        String marker = "MARK-" + field(path);
        Http.Reply r = putConfig("application/json", with(file(), path, marker).encode().replace(marker, bad));
        String what = field(path) + "=" + bad;
        if (r.status() != 400) {
          failures.add(what + ": " + r.status() + " " + r.text());
        } else if (!r.text().contains("\"field\":\"" + field(path) + "\"")) {
          failures.add(what + ": the error does not name the field: " + r.text());
        }
      }
    }
    assertTrue(paths.size() > 15, paths.toString());
    assertTrue(failures.isEmpty(), failures.size() + " not refused as they should be:\n"
        + printable(String.join("\n", failures)));
    String key = file().encode().replace("X-Version", "X-\\u0007Version");
    Http.Reply header = putConfig("application/json", key);
    assertEquals(400, header.status(), header.text());
    assertTrue(header.text().contains("\"field\":\"routes[1].headers.X-\\u0007Version\""), header.text());
    Http.Reply yaml = putConfig("application/yaml", "format_version: 1\nservices:\n  - {name: svc, targets: "
        + "[{address: \"127.0.0.1:" + backend.port() + "\"}]}\nroutes: []\nconsumers:\n"
        + "  - {tenant: t1, username: \"nul\\0x\", custom_id: \"c\\x01\"}\n");
    assertEquals(400, yaml.status(), yaml.text());
    assertTrue(yaml.text().contains("\"field\":\"consumers[0].username\"") && yaml.text().contains(
        "\"field\":\"consumers[0].custom_id\""), yaml.text());
    assertEquals(before, counts(), "nothing was stored");
    assertEquals(version, api.db.configVersion(), "nothing was applied");
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c == '\n' || c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return b.toString();
  }

  @Test
  void filters_with_control_characters_and_ids_that_are_not_uuids_answer_in_json() {
    Http.Reply nul = api.get("/consumers?tenant=%00");
    assertEquals(400, nul.status(), nul.text());
    assertTrue(nul.text().contains("\"field\":\"tenant\""), nul.text());
    Http.Reply purge = api.delete("/proxy-cache/not-a-uuid");
    assertEquals(404, purge.status(), purge.text());
    assertTrue(purge.header("Content-Type").startsWith("application/json"), purge.text());
  }

  @Test
  void bodies_that_are_not_json_too_large_or_multipart_are_refused_in_json_and_never_stored_on_disk() {
    Path uploads = Path.of("file-uploads");
    boolean existedBefore = Files.exists(uploads);
    Map<String, Long> before = counts();
    Http.Reply text = raw("/tenants", "text/plain", "{\"name\": \"x\"}");
    assertEquals(415, text.status(), text.text());
    Http.Reply multipart = raw("/tenants", "multipart/form-data; boundary=b",
        "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\nhello\r\n--b--\r\n");
    assertEquals(415, multipart.status(), multipart.text());
    Http.Reply big = raw("/tenants", "application/json", "{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}");
    assertEquals(413, big.status());
    assertTrue(big.header("Content-Type").startsWith("application/json"), big.text());
    assertEquals("body_too_large", new JsonObject(big.text()).getJsonObject("error").getString("code"));
    assertEquals(before, counts());
    assertFalse(!existedBefore && Files.exists(uploads), "a file-uploads directory was created");
  }

  /**
   * A body that parsers read differently is refused, never resolved one way: a key given twice (another parser
   * might keep the first) and content after the JSON value (another might read only that).
   */
  @Test
  void a_body_with_a_key_twice_or_content_after_its_value_is_refused_whole() {
    Map<String, Long> before = counts();
    Http.Reply twice = raw("/tenants", "application/json", "{\"name\": \"first\", \"name\": \"second\"}");
    assertEquals(400, twice.status(), twice.text());
    JsonObject field = new JsonObject(twice.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("(body)", field.getString("field"));
    assertTrue(field.getString("reason").contains("Duplicate field 'name'"), field.encode());
    for (String after : new String[] {"{\"name\": \"a\"} {\"name\": \"b\"}", "{\"name\": \"a\"} []", "{\"name\": \"a\"} 1"}) {
      Http.Reply trailing = raw("/tenants", "application/json", after);
      assertEquals(400, trailing.status(), after + ": " + trailing.text());
      field = new JsonObject(trailing.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
      assertEquals("not valid JSON at line 1, column " + (after.indexOf('}') + 3) + ": content after the end of the document",
          field.getString("reason"), after);
    }
    // Where a document breaks, by line and column: an author finds the place in a body of many lines.
    Http.Reply broken = raw("/tenants", "application/json", "{\n  \"name\": \"x\",\n  \"labels\": {\"a\": tru}\n}");
    assertEquals(400, broken.status(), broken.text());
    field = new JsonObject(broken.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0);
    assertEquals("(body)", field.getString("field"));
    assertTrue(field.getString("reason").startsWith("not valid JSON at line 3, column "), field.encode());
    // An expectation other than 100-continue: 417 in the API's shape (it was a plain-text "Expectation Failed").
    Http.Reply expect = api.http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(api.node.adminPort()).setURI("/tenants").putHeader("Authorization", "Bearer " + AdminApi.TOKEN)
        .putHeader("Content-Type", "application/json").putHeader("Expect", "something-else"),
        Buffer.buffer("{\"name\": \"expected\"}"));
    assertEquals(417, expect.status(), expect.text());
    assertEquals("expectation_failed", new JsonObject(expect.text()).getJsonObject("error").getString("code"));
    Http.Reply spaces = raw("/tenants", "application/json", "{\"name\": \"trailing-space\"} \r\n\t ");
    assertEquals(201, spaces.status(), "white space after the value is fine: " + spaces.text());
    before.merge("tenants", 1L, Long::sum);
    assertEquals(before, counts());
  }

  @Test
  void a_method_a_resource_does_not_take_answers_405_with_allow_and_an_unknown_path_404() {
    for (HttpMethod m : new HttpMethod[] {HttpMethod.TRACE, HttpMethod.DELETE, HttpMethod.OPTIONS}) {
      Http.Reply r = api.http.call(new RequestOptions().setMethod(m).setHost("127.0.0.1").setPort(api.node.adminPort())
          .setURI("/services").putHeader("Authorization", "Bearer " + AdminApi.TOKEN), null);
      assertEquals(405, r.status(), m + " " + r.text());
      assertEquals("method_not_allowed", new JsonObject(r.text()).getJsonObject("error").getString("code"));
      String allow = r.header("Allow");
      assertTrue(allow != null && allow.contains("GET") && allow.contains("HEAD") && allow.contains("POST")
          && !allow.contains(m.name()), m + ": Allow " + allow);
    }
    // Found from outside: these answered 404, the router's 405 undone by a route of every method matched after.
    Map<String, String> others = Map.of("POST /metrics", "GET, HEAD", "POST /openapi.yaml", "GET, HEAD",
        "DELETE /admin-tokens", "GET, HEAD, POST", "GET /admin-tokens/" + java.util.UUID.randomUUID(), "DELETE",
        "POST /services/orders/health", "GET, HEAD");
    for (Map.Entry<String, String> o : others.entrySet()) {
      String[] mu = o.getKey().split(" ");
      Http.Reply r = api.call(HttpMethod.valueOf(mu[0]), mu[1], null, Map.of());
      assertEquals(405, r.status(), o.getKey() + " " + r.text());
      assertEquals(o.getValue(), r.header("Allow"), o.getKey());
    }
    // The path as the router reads it (".." resolved): POST /services/.. is /, which is no resource (404), not a 405
    // of /services/{id}.
    assertEquals(404, api.call(HttpMethod.POST, "/services/..", null, Map.of()).status());
    // HEAD wherever GET is: the GET's status and headers, no body (it was 405); where there is no GET, not allowed.
    for (String uri : new String[] {"/services", "/tenants?limit=2", "/openapi.yaml"}) {
      Http.Reply get = api.call(HttpMethod.GET, uri, null, Map.of());
      Http.Reply head = api.call(HttpMethod.HEAD, uri, null, Map.of());
      assertEquals(200, head.status(), uri);
      assertEquals(get.header("Content-Type"), head.header("Content-Type"), uri);
      assertEquals("", head.text(), uri);
    }
    Http.Reply headOfPost = api.call(HttpMethod.HEAD, "/config/rollback", null, Map.of());
    assertEquals(405, headOfPost.status());
    assertEquals("POST", headOfPost.header("Allow"));
    Http.Reply missing = api.http.call(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(api.node.adminPort()).setURI("/no-such-thing").putHeader("Authorization", "Bearer " + AdminApi.TOKEN),
        null);
    assertEquals(404, missing.status(), missing.text());
    assertEquals("not_found", new JsonObject(missing.text()).getJsonObject("error").getString("code"));
  }

  private Http.Reply raw(String uri, String contentType, String body) {
    return api.http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(api.node.adminPort()).setURI(uri).putHeader("Authorization", "Bearer " + AdminApi.TOKEN)
        .putHeader("Content-Type", contentType), Buffer.buffer(body));
  }

  @Test
  void without_a_token_cross_site_requests_and_rebound_host_names_are_refused(Vertx vertx) {
    try (TestDatabase db = TestDatabase.migrated(); TestNode open = TestNode.start(TestNode.simpleRoutes("",
        backend.port()), Map.of("SLUICE_PG_URL", db.url()))) {
      Http http = new Http(vertx);
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
          .setPort(open.adminPort()).setURI("/tenants");
      Http.Reply csrf = http.call(new RequestOptions(o).putHeader("Content-Type", "text/plain")
          .putHeader("Origin", "https://evil.example"), Buffer.buffer("{\"name\": \"pwned\"}"));
      assertEquals(403, csrf.status(), csrf.text());
      Http.Reply rebound = http.call(new RequestOptions(o).putHeader("Content-Type", "application/json")
          .putHeader("Host", "evil.example:" + open.adminPort()), Buffer.buffer("{\"name\": \"pwned\"}"));
      assertEquals(403, rebound.status(), rebound.text());
      Http.Reply plain = http.call(new RequestOptions(o).putHeader("Content-Type", "text/plain"),
          Buffer.buffer("{\"name\": \"pwned\"}"));
      assertEquals(415, plain.status(), plain.text());
      assertEquals(0, db.queryLong("select count(*) from tenants where name = 'pwned'"));
      Http.Reply local = http.call(new RequestOptions(o).putHeader("Content-Type", "application/json"),
          Buffer.buffer("{\"name\": \"fine\"}"));
      assertEquals(201, local.status(), "a local client without a token still works: " + local.text());
    }
  }
}
