package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Declarative configuration: the shipped file, defaults, and one test per way a file is refused. */
class DeclarativeConfigTest {

  private static final String SERVICE = """
        - name: svc
          targets: [{address: "127.0.0.1:9000"}]
      """;

  /** A document with the given services (YAML list items, or null for one valid service) and routes. */
  private static String doc(String services, String routes) {
    return "format_version: 1\nservices:\n" + indent(services == null ? SERVICE : services)
        + "routes:\n" + indent(routes == null ? "- {name: r, service: svc}\n" : routes);
  }

  private static String indent(String items) {
    StringBuilder b = new StringBuilder();
    items.stripIndent().lines().forEach(l -> b.append("  ").append(l).append('\n'));
    return b.toString();
  }

  private static List<FieldError> errors(String yaml) {
    return assertThrows(ConfigException.class, () -> DeclarativeConfig.parse(yaml)).errors();
  }

  /** The one error of {@code yaml}: its field is exact, its reason contains {@code reasonPart}. */
  private static void refusedAt(String yaml, String field, String reasonPart) {
    List<FieldError> errors = errors(yaml);
    assertEquals(1, errors.size(), errors.toString());
    assertEquals(field, errors.get(0).field(), errors.toString());
    assertTrue(errors.get(0).reason().contains(reasonPart), errors + " should say " + reasonPart);
  }

  @Test
  void yes_no_on_and_off_are_strings_as_in_yaml_1_2_and_only_true_and_false_are_booleans() {
    GatewayConfig c = DeclarativeConfig.parse(doc(null,
        "- {name: r, service: svc, strip_path: true, preserve_host: false, headers: {x-country: [NO, no, On, off, y, n]}}"));
    assertEquals(Map.of("x-country", List.of("NO", "no", "On", "off", "y", "n")), c.routes().get(0).headers());
    assertTrue(c.routes().get(0).stripPath());
    refusedAt(doc(null, "- {name: r, service: svc, strip_path: yes}"), "routes[0].strip_path", "must be true or false");
    refusedAt(doc(null, "- {name: r, service: svc, preserve_host: off}"), "routes[0].preserve_host",
        "must be true or false");
  }

  @Test
  void shipped_routes_file_parses_with_schema_defaults_applied() {
    GatewayConfig c = DeclarativeConfig.read(Path.of("conf/routes.yaml"));
    assertEquals(1, c.formatVersion());
    ServiceDef echo = c.services().get(0);
    assertEquals(1, c.services().size());
    assertEquals("echo", echo.name());
    assertEquals("demo", echo.tenant());
    assertEquals("/", echo.path());
    assertEquals(List.of(new ServiceDef.Target("127.0.0.1:8070", 100)), echo.targets());
    assertEquals(new ServiceDef.LoadBalancing("round-robin", "ip"), echo.loadBalancing());
    assertEquals(2, echo.retries());
    assertEquals(new ServiceDef.Backoff(25, 1000), echo.retryBackoff());
    assertEquals(new ServiceDef.Timeouts(2000, 30000, 60000), echo.timeouts());
    assertEquals(new ServiceDef.CircuitBreaker(5, 10000), echo.circuitBreaker());
    assertEquals(List.of(new RouteDef("demo", "echo", List.of(), List.of("/demo"), List.of(), Map.of(),
        true, false, 0)), c.routes());
  }

  @Test
  void minimal_route_defaults_to_every_path_host_and_method() {
    RouteDef r = DeclarativeConfig.parse(doc(null, null)).routes().get(0);
    assertEquals(new RouteDef("r", "svc", List.of(), List.of("/"), List.of(), Map.of(), false, false, 0), r);
  }

  @Test
  void unknown_key_is_refused_with_its_path() {
    refusedAt(doc(null, "- {name: r, service: svc, bogus: 1}"), "routes[0].bogus", "unknown key");
    refusedAt(doc("""
        - name: svc
          targets: [{address: "127.0.0.1:9000", wieght: 5}]
        """, null), "services[0].targets[0].wieght", "unknown key");
    refusedAt("format_version: 1\nextra: true\n", "extra", "unknown key");
  }

  @Test
  void missing_required_field_is_refused() {
    refusedAt(doc(null, "- {name: r}"), "routes[0].service", "is required");
    refusedAt(doc("- {name: svc}", "[]"), "services[0].targets", "is required");
    refusedAt("services: []\n", "format_version", "is required");
  }

  @Test
  void wrong_format_version_is_refused() {
    refusedAt("format_version: 2\n", "format_version", "1");
  }

  @Test
  void value_outside_an_enum_is_refused() {
    refusedAt(doc("""
        - name: svc
          targets: [{address: "127.0.0.1:9000"}]
          load_balancing: {algorithm: random}
        """, null), "services[0].load_balancing.algorithm", "must be one of");
    refusedAt(doc(null, "- {name: r, service: svc, methods: [GET, FETCH]}"), "routes[0].methods[1]", "must be one of");
  }

  @Test
  void target_address_must_be_host_colon_port() {
    for (String bad : new String[] {"localhost", "ftp://a:80", "https://a", "http://a:80/x", "a:b", "a:123456", ":80"}) {
      refusedAt(doc("- {name: svc, targets: [{address: \"" + bad + "\"}]}", null),
          "services[0].targets[0].address", "");
    }
    refusedAt(doc("- {name: svc, targets: [{address: \"a:70000\"}]}", null),
        "services[0].targets[0].address", "port must be 1 to 65535");
    refusedAt(doc("- {name: svc, targets: [{address: \"a:0\"}]}", null),
        "services[0].targets[0].address", "port must be 1 to 65535");
    refusedAt(doc("- {name: svc, targets: [{address: \"h2://a:0\"}]}", null),
        "services[0].targets[0].address", "port must be 1 to 65535");
    refusedAt(doc("- {name: svc, tls: {ca_bundle: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\"},"
        + " targets: [{address: \"https://a:443\"}]}", null), "services[0].tls.ca_bundle", "not PEM certificates");
  }

  @Test
  void duplicate_names_are_refused() {
    refusedAt(doc("""
        - {name: svc, targets: [{address: "a:1"}]}
        - {name: svc, targets: [{address: "b:1"}]}
        """, null), "services[1].name", "duplicate service name 'svc'");
    refusedAt(doc(null, """
        - {name: r, service: svc}
        - {name: r, service: svc, paths: [/x]}
        """), "routes[1].name", "duplicate route name 'r'");
  }

  @Test
  void route_to_a_missing_service_is_refused() {
    refusedAt(doc(null, "- {name: r, service: nowhere}"), "routes[0].service", "no service named 'nowhere'");
  }

  @Test
  void invalid_regex_is_refused() {
    refusedAt(doc(null, "- {name: r, service: svc, paths: [/ok, '~/v(1']}"), "routes[0].paths[1]", "invalid regex");
  }

  @Test
  void template_misuse_is_refused() {
    refusedAt(doc(null, "- {name: r, service: svc, paths: ['=/users/{id}']}"), "routes[0].paths[0]",
        "an exact path cannot hold a {template}");
    for (String bad : new String[] {"/users/x{id}", "/users/{id}x", "/users/{}", "/users/{a}{b}"}) {
      refusedAt(doc(null, "- {name: r, service: svc, paths: ['" + bad + "']}"), "routes[0].paths[0]",
          "a template segment must be a whole {name}");
    }
  }

  @Test
  void path_must_start_with_slash_and_be_normalized() {
    refusedAt(doc(null, "- {name: r, service: svc, paths: [api]}"), "routes[0].paths[0]", "must start with /");
    for (String bad : new String[] {"/a//b", "/a/./b", "/a/../b", "/a/..", "=/a/../b"}) {
      refusedAt(doc(null, "- {name: r, service: svc, paths: ['" + bad + "']}"), "routes[0].paths[0]",
          "must be a normalized path");
    }
    assertEquals(List.of(new FieldError("routes[0].paths[0]", "a space at 2 is not allowed: a path holds printable"
        + " ASCII characters other than space, ? and #; write it percent-encoded, as %20")),
        errors(doc(null, "- {name: r, service: svc, paths: ['/a b']}")));
    assertEquals(List.of(new FieldError("routes[0].paths[0]", "'?' at 4 is not allowed: a path holds printable ASCII"
        + " characters other than space, ? and #; write it percent-encoded, as %3F")),
        errors(doc(null, "- {name: r, service: svc, paths: ['=/a/b?c']}")));
  }

  /** A list that needs an item says so in words, not in the validator's "must have at least 1 items". */
  @Test
  void an_empty_list_that_needs_an_item_is_refused_in_words() {
    assertEquals(List.of(new FieldError("routes[0].paths", "needs at least one item")),
        errors(doc(null, "- {name: r, service: svc, paths: []}")));
    List<FieldError> empty = errors(doc(null, "- {name: r, service: ''}"));
    assertTrue(empty.contains(new FieldError("routes[0].service", "must not be empty")), empty.toString());
  }

  /**
   * A trailing "." segment is as un-normalized as a middle one: request paths are normalized before
   * matching (/a/. becomes /a/), so a route declared with /a/. could never match anything.
   */
  @Test
  void path_ending_in_a_dot_segment_is_refused() {
    for (String bad : new String[] {"/a/.", "/.", "=/a/."}) {
      List<FieldError> errors = assertThrows(ConfigException.class,
          () -> DeclarativeConfig.parse(doc(null, "- {name: r, service: svc, paths: ['" + bad + "']}")),
          "path '" + bad + "' was accepted although it can never match a normalized request path").errors();
      assertEquals(List.of(new FieldError("routes[0].paths[0]",
          "must be a normalized path (no empty, . or .. segments)")), errors);
    }
  }

  @Test
  void backoff_cap_below_base_is_refused() {
    refusedAt(doc("""
        - name: svc
          targets: [{address: "a:1"}]
          retry_backoff: {base_ms: 500, cap_ms: 100}
        """, null), "services[0].retry_backoff.cap_ms", "must be at least base_ms");
    refusedAt(doc("""
        - name: svc
          targets: [{address: "a:1"}]
          retry_backoff: {base_ms: 2000}
        """, null), "services[0].retry_backoff.cap_ms", "must be at least base_ms");
  }

  @Test
  void service_whose_targets_all_weigh_zero_is_refused() {
    refusedAt(doc("- {name: svc, targets: [{address: \"a:1\", weight: 0}, {address: \"b:1\", weight: 0}]}",
        null), "services[0].targets", "at least one target needs a weight above 0");
  }

  @Test
  void every_schema_error_of_a_file_is_reported() {
    List<FieldError> errors = errors(doc("""
        - name: svc
          targets: [{address: "nohost"}]
          load_balancing: {algorithm: random}
          retries: 11
        """, """
        - {service: svc, bogus: 1}
        - {name: "bad name", service: svc, strip_path: "yes"}
        """));
    assertEquals(List.of(
        "routes[0].bogus", "routes[0].name", "routes[1].name", "routes[1].strip_path",
        "services[0].load_balancing.algorithm", "services[0].retries", "services[0].targets[0].address"),
        errors.stream().map(FieldError::field).toList(), errors.toString());
  }

  @Test
  void every_cross_field_error_of_a_file_is_reported() {
    List<FieldError> errors = errors(doc("""
        - {name: svc, targets: [{address: "a:1"}]}
        - {name: svc, targets: [{address: "a:99999", weight: 0}], retry_backoff: {base_ms: 10, cap_ms: 5}}
        """, """
        - {name: r, service: svc, paths: ['~(']}
        - {name: r, service: ghost, paths: ['=/{x}']}
        """));
    assertEquals(List.of(
        new FieldError("services[1].name", "duplicate service name 'svc'"),
        new FieldError("services[1].targets[0].address", "port must be 1 to 65535"),
        new FieldError("services[1].targets", "at least one target needs a weight above 0"),
        new FieldError("services[1].retry_backoff.cap_ms", "must be at least base_ms"),
        new FieldError("routes[1].name", "duplicate route name 'r'"),
        new FieldError("routes[1].service", "no service named 'ghost'"),
        new FieldError("routes[1].paths[0]", "an exact path cannot hold a {template}")),
        errors.stream().filter(e -> !e.field().equals("routes[0].paths[0]")).toList());
    assertTrue(errors.stream().anyMatch(e -> e.field().equals("routes[0].paths[0]")
        && e.reason().startsWith("invalid regex")), errors.toString());
    assertEquals(8, errors.size(), errors.toString());
  }

  @Test
  void schema_errors_do_not_hide_duplicate_names_and_references_of_the_rest_of_the_file() {
    List<FieldError> errors = errors(doc("""
        - {name: svc, targets: [{address: "127.0.0.1:1"}], retries: many}
        - {name: svc, targets: [{address: "127.0.0.1:2"}]}
        """, """
        - {name: r, service: svc, paths: ["/a"]}
        - {name: r, service: ghost, paths: ["/b"]}
        - {name: r2, service: ghost, strip_path: "yes"}
        """) + """
        plugins:
          - {name: cors, scope: route, route: nowhere, config: {}}
          - {name: cors, scope: route, route: r2, config: {}}
        """);
    Map<String, String> byField = new java.util.TreeMap<>();
    errors.forEach(e -> byField.put(e.field(), e.reason()));
    assertEquals(List.of("plugins[0].route", "routes[1].name", "routes[1].service", "routes[2].strip_path",
        "services[0].retries", "services[1].name"), List.copyOf(byField.keySet()), errors.toString());
    assertEquals(6, errors.size(), errors.toString());
    assertEquals("duplicate service name 'svc'", byField.get("services[1].name"), "a broken entity's name counts");
    assertEquals("no service named 'ghost'", byField.get("routes[1].service"));
    assertEquals("no route named 'nowhere'", byField.get("plugins[0].route"));
  }

  @Test
  void empty_or_malformed_document_is_refused() {
    assertEquals(List.of(new FieldError("(document)", "is empty")), errors(""));
    List<FieldError> malformed = errors("format_version: 1\nroutes: [unclosed\n");
    assertEquals(1, malformed.size());
    assertEquals("(document)", malformed.get(0).field());
    assertTrue(malformed.get(0).reason().startsWith("not valid YAML or JSON"), malformed.toString());
    refusedAt("- just\n- a list\n", "(root)", "object");
  }

  @Test
  void a_key_given_twice_or_a_second_document_is_refused() {
    List<FieldError> twice = errors("format_version: 1\nservices: []\nroutes: []\nservices: []\n");
    assertEquals(1, twice.size(), twice.toString());
    assertEquals("(document)", twice.get(0).field());
    assertTrue(twice.get(0).reason().contains("Duplicate field 'services'"), twice.toString());
    List<FieldError> inner = errors("format_version: 1\nservices:\n  - name: s\n    name: t\n    targets: [{address: \"h:1\"}]\n");
    assertTrue(inner.get(0).reason().contains("Duplicate field 'name'"), inner.toString());
    List<FieldError> second = errors("format_version: 1\n---\nformat_version: 1\n");
    assertEquals(List.of(new FieldError("(document)", "not valid YAML or JSON at line 3, column 1: content after the end"
        + " of the document")), second);
    assertTrue(errors("{\"format_version\": 1, \"format_version\": 1}").get(0).reason().contains("Duplicate field"));
  }

  @Test
  void json_is_accepted_as_well() {
    GatewayConfig c = DeclarativeConfig.parse("""
        {"format_version": 1, "services": [{"name": "s", "targets": [{"address": "h:1", "weight": 7}]}],
         "routes": [{"name": "r", "service": "s", "paths": ["=/x"]}]}
        """);
    assertEquals(7, c.services().get(0).targets().get(0).weight());
    assertEquals(List.of("=/x"), c.routes().get(0).paths());
  }

  @Test
  void a_yaml_error_says_where_and_schema_and_reference_errors_come_together() {
    ConfigException bad = assertThrows(ConfigException.class,
        () -> DeclarativeConfig.parse("format_version: 1\nservices:\n  - {name: a, targets: [\n"));
    assertTrue(bad.errors().get(0).reason().contains("line "), bad.errors().toString());
    assertTrue(bad.errors().get(0).reason().contains("column "), bad.errors().toString());
    ConfigException both = assertThrows(ConfigException.class, () -> DeclarativeConfig.parse("""
        format_version: 1
        services:
          - {name: "bad name!", targets: [{address: "127.0.0.1:80"}]}
        routes:
          - {name: r, service: nowhere, paths: ["/r"]}
        """));
    List<String> fields = both.errors().stream().map(FieldError::field).toList();
    assertTrue(fields.contains("services[0].name"), fields.toString());
    assertTrue(fields.contains("routes[0].service"), "the reference error in the same answer: " + fields);
    for (FieldError e : both.errors()) {
      assertTrue(e.reason().length() < 200 && !e.reason().contains("^["), "no regex as a reason: " + e);
    }
  }
  @Test
  void plugins_get_their_policy_defaults_and_each_wrong_field_is_named() {
    GatewayConfig ok = DeclarativeConfig.parse(doc(null, null) + """
        plugins:
          - {name: rate-limiting, scope: route, route: r, config: {minute: 5}}
          - {name: cors, scope: global}
        """);
    assertEquals("rate-limiting (route r)", ok.plugins().get(0).key());
    assertEquals("consumer", ok.plugins().get(0).config().path("limit_by").asText(), "the policy's default");
    assertTrue(ok.plugins().get(1).enabled(), "enabled by default");
    refusedAt(doc(null, null) + "plugins:\n  - {name: rate-limiting, scope: route, route: r, config: {minute: 0}}\n",
        "plugins[0].config.minute", "");
    refusedAt(doc(null, null) + "plugins:\n  - {name: cors, scope: service, service: nope}\n",
        "plugins[0].service", "no service named 'nope'");
    refusedAt(doc(null, null) + "plugins:\n  - {name: cors, scope: global}\n  - {name: cors, scope: global}\n",
        "plugins[1].name", "duplicate plugin cors (global)");
    refusedAt(doc(null, null) + "plugins:\n  - {name: no-such, scope: global}\n", "plugins[0].name", "unknown policy");
  }

  /** The routes file at start reads through the same rule as the admin API's strings, each failing one named. */
  @Test
  void a_nul_or_control_character_in_any_string_or_key_is_refused_naming_it() {
    List<FieldError> errors = errors(doc("""
        - name: svc
          tenant: "t\\x01"
          targets: [{address: "127.0.0.1:9000"}]
        """, """
        - {name: r, service: svc, headers: {X-A: ["v\\x05"], "X\\x02B": ["1"]}}
        """) + """
        consumers:
          - tenant: acme
            username: "nul\\0x"
            custom_id: "c\\x7f"
            keys: [{prefix: "p\\x1b", digest: "hmac-sha256:%s"}]
            jwt: [{issuer: "i\\u0000ss", algorithm: HS256, secret: "a-shared-secret-of-at-least-32-characters"}]
        """.formatted("0".repeat(64)));
    assertEquals(List.of("services[0].tenant", "routes[0].headers.X-A[0]", "routes[0].headers.X\u0002B",
        "consumers[0].username", "consumers[0].custom_id", "consumers[0].keys[0].prefix", "consumers[0].jwt[0].issuer"),
        errors.stream().map(FieldError::field).toList(), errors.toString());
    assertTrue(errors.get(3).reason().contains("NUL"), errors.toString());
    assertTrue(errors.get(0).reason().contains("control characters (0x1)"), errors.toString());
    List<FieldError> json = assertThrows(ConfigException.class, () -> DeclarativeConfig.parse(
        "{\"format_version\": 1, \"services\": [], \"routes\": [], \"consumers\": [{\"tenant\": \"a\","
            + " \"username\": \"u\\u0000\"}]}", true)).errors();
    assertEquals(List.of("consumers[0].username"), json.stream().map(FieldError::field).toList(), json.toString());
  }

  /** A whole-number float is the integer it is (as JSON Schema counts it), also in a policy's config. */
  @Test
  void a_whole_number_float_in_an_integer_field_is_read_as_the_integer() {
    GatewayConfig c = DeclarativeConfig.parse("""
        {"format_version": 1.0, "services": [{"name": "s", "retries": 1.0,
          "targets": [{"address": "h:1", "weight": 1e2}]}],
         "routes": [{"name": "r", "service": "s", "priority": 1e0}],
         "plugins": [{"name": "rate-limiting", "scope": "route", "route": "r", "config": {"minute": 1E2}}]}
        """, true);
    assertEquals(1, c.services().get(0).retries());
    assertEquals(100, c.services().get(0).targets().get(0).weight());
    assertEquals(1, c.routes().get(0).priority());
    assertTrue(c.plugins().get(0).config().get("minute").isInt(), c.plugins().get(0).config().toString());
    refusedAt(doc("- {name: svc, retries: 1.5, targets: [{address: \"127.0.0.1:9000\"}]}", null),
        "services[0].retries", "");
  }

  /** Jackson reads an alias as its anchor's name: refused where it stands, never stored as "v". */
  @Test
  void yaml_anchors_and_aliases_are_refused_where_they_stand() {
    refusedAt(doc(null, """
        - {name: a, service: svc, paths: ["/a"], headers: {X-Env: [prod]}}
        - {name: b, service: svc, paths: ["/b"], headers: {X-Env: [*v]}}
        """), "routes[1].headers.X-Env[0]", "YAML aliases (*v) are not supported");
    refusedAt(doc(null, """
        - {name: a, service: svc, paths: ["/a"], headers: {X-Env: [&v prod]}}
        """), "routes[0].headers.X-Env[0]", "YAML anchors (&v) are not supported");
    refusedAt(doc("""
        - &s {name: svc, targets: [{address: "127.0.0.1:9000"}]}
        """, null), "services[0]", "YAML anchors (&s) are not supported");
    refusedAt(doc("- *s\n", null), "services[0]", "YAML aliases (*s) are not supported");
  }

  @Test
  void a_routes_file_with_an_alias_is_refused_with_the_field_named(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("routes.yaml");
    java.nio.file.Files.writeString(file, doc(null, "- {name: r, service: *x}\n"));
    List<FieldError> errors = assertThrows(ConfigException.class, () -> DeclarativeConfig.read(file)).errors();
    assertEquals(List.of(new FieldError("routes[0].service", "YAML aliases (*x) are not supported: write the value out")),
        errors);
  }

  @Test
  void a_route_file_with_match_values_no_request_can_present_is_refused() {
    refusedAt(doc(null, "- {name: r, service: svc, paths: [\"/café\"]}\n"), "routes[0].paths[0]",
        "non-ASCII characters never match (at 4): requests carry them percent-encoded as UTF-8, and are matched so;"
            + " write 'é' as %C3%A9");
    refusedAt(doc(null, "- {name: r, service: svc, paths: [\"~/caf(é|e)\"]}\n"), "routes[0].paths[0]",
        "non-ASCII characters never match (at 5): requests carry them percent-encoded as UTF-8, and are matched so;"
            + " write 'é' as %C3%A9");
    assertEquals(List.of("~/caf(%C3%A9|e)"), DeclarativeConfig.parse(doc(null,
        "- {name: r, service: svc, paths: [\"~/caf(%C3%A9|e)\"]}\n")).routes().get(0).paths());
    refusedAt(doc(null, "- {name: r, service: svc, headers: {X-Env: [\"prod \"]}}\n"), "routes[0].headers.X-Env[0]",
        "leading or trailing spaces never match");
  }
}
