package io.sluice.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PathPattern;
import io.sluice.config.ServiceDef;
import io.sluice.upstream.Upstream;
import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Route selection by host, path kind, priority and conditions, on tables built from declarative YAML. */
class RouteTableTest {

  private static final MultiMap NO_HEADERS = MultiMap.caseInsensitiveMultiMap();

  /** A table over two services, {@code svc} (no base path) and {@code based} (base path /v1/). */
  static RouteTable table(String... routes) {
    StringBuilder yaml = new StringBuilder("""
        format_version: 1
        services:
          - name: svc
            targets: [{address: "127.0.0.1:9000"}]
          - name: based
            path: /v1/
            targets: [{address: "127.0.0.1:9001"}]
        routes:
        """);
    for (String r : routes) {
      yaml.append("  - ").append(r).append('\n');
    }
    return build(DeclarativeConfig.parse(yaml.toString()));
  }

  private static final io.micrometer.core.instrument.MeterRegistry METERS = io.sluice.metrics.Meters.detached();

  static RouteTable build(GatewayConfig config) {
    Map<String, Upstream> upstreams = config.services().stream()
        .collect(Collectors.toMap(ServiceDef::name, s -> new Upstream(s, METERS)));
    return RouteTable.build(config.routes(), upstreams, METERS);
  }

  private static String routeFor(RouteTable table, String host, String path) {
    return routeFor(table, "GET", host, path, NO_HEADERS);
  }

  private static String routeFor(RouteTable table, String method, String host, String path, MultiMap headers) {
    RouteMatch m = table.match(method, host, path, headers);
    return m == null ? null : m.route().name();
  }

  @Test
  void prefix_matches_whole_segments_only() {
    RouteTable t = table("{name: api, service: svc, paths: [/api]}");
    assertEquals("api", routeFor(t, null, "/api"));
    assertEquals("api", routeFor(t, null, "/api/"));
    assertEquals("api", routeFor(t, null, "/api/x/y"));
    assertNull(routeFor(t, null, "/apix"));
    assertNull(routeFor(t, null, "/ap"));
    assertNull(routeFor(t, null, "/"));
  }

  @Test
  void prefix_declared_with_trailing_slash_matches_the_same_segments() {
    RouteTable t = table("{name: api, service: svc, paths: [/api/]}");
    assertEquals("api", routeFor(t, null, "/api"));
    assertEquals("api", routeFor(t, null, "/api/x"));
    assertNull(routeFor(t, null, "/apix"));
  }

  @Test
  void root_prefix_matches_every_path() {
    RouteTable t = table("{name: all, service: svc}");
    assertEquals("all", routeFor(t, null, "/"));
    assertEquals("all", routeFor(t, null, "/anything/at/all"));
  }

  @Test
  void unmatched_request_has_no_route() {
    RouteTable t = table("{name: a, service: svc, paths: [=/a]}");
    assertNull(t.match("GET", "example.com", "/b", NO_HEADERS));
    assertNull(RouteTable.EMPTY.match("GET", null, "/", NO_HEADERS));
  }

  /** The four kinds all match /users/42; they are declared weakest first so declaration order cannot decide. */
  @Test
  void exact_beats_template_beats_regex_beats_prefix_at_equal_priority() {
    String prefix = "{name: prefix, service: svc, paths: [/users/42]}";
    String regex = "{name: regex, service: svc, paths: ['~/users/[0-9]+']}";
    String template = "{name: template, service: svc, paths: ['/users/{id}']}";
    String exact = "{name: exact, service: svc, paths: [=/users/42]}";
    assertEquals("exact", routeFor(table(prefix, regex, template, exact), null, "/users/42"));
    assertEquals("template", routeFor(table(prefix, regex, template), null, "/users/42"));
    assertEquals("regex", routeFor(table(prefix, regex), null, "/users/42"));
    assertEquals("prefix", routeFor(table(prefix), null, "/users/42"));
    assertEquals(PathPattern.Kind.TEMPLATE,
        table(prefix, regex, template).match("GET", null, "/users/42", NO_HEADERS).kind());
  }

  @Test
  void higher_priority_beats_a_stronger_kind() {
    RouteTable t = table(
        "{name: exact, service: svc, paths: [=/x]}",
        "{name: catch-all, service: svc, paths: [/], priority: 10}");
    assertEquals("catch-all", routeFor(t, null, "/x"));
  }

  @Test
  void higher_priority_regex_beats_an_exact_path() {
    RouteTable t = table(
        "{name: exact, service: svc, paths: [=/x]}",
        "{name: regex, service: svc, paths: ['~/x'], priority: 1}");
    assertEquals("regex", routeFor(t, null, "/x"));
  }

  @Test
  void longer_prefix_wins_whatever_the_declaration_order() {
    String shorter = "{name: short, service: svc, paths: [/a]}";
    String longer = "{name: long, service: svc, paths: [/a/b]}";
    for (RouteTable t : new RouteTable[] {table(shorter, longer), table(longer, shorter)}) {
      assertEquals("long", routeFor(t, null, "/a/b/c"));
      assertEquals("long", routeFor(t, null, "/a/b"));
      assertEquals("short", routeFor(t, null, "/a/bc"));
      assertEquals("short", routeFor(t, null, "/a"));
    }
  }

  @Test
  void equal_patterns_go_to_the_first_declared_route() {
    String first = "{name: first, service: svc, paths: [/same]}";
    String second = "{name: second, service: svc, paths: [/same]}";
    assertEquals("first", routeFor(table(first, second), null, "/same/x"));
    assertEquals("second", routeFor(table(second, first), null, "/same/x"));
  }

  @Test
  void template_parameter_matches_exactly_one_non_empty_segment() {
    RouteTable t = table("{name: user, service: svc, paths: ['/users/{id}']}");
    assertEquals("user", routeFor(t, null, "/users/42"));
    assertNull(routeFor(t, null, "/users"));
    assertNull(routeFor(t, null, "/users/"));
    assertNull(routeFor(t, null, "/users/42/posts"));
  }

  @Test
  void literal_segment_and_parameter_are_both_tried() {
    RouteTable t = table(
        "{name: me, service: svc, paths: ['/users/me/{tab}']}",
        "{name: any, service: svc, paths: ['/users/{id}/posts']}");
    assertEquals("me", routeFor(t, null, "/users/me/settings"));
    // Both templates match; the longer pattern wins.
    assertEquals("any", routeFor(t, null, "/users/me/posts"));
    assertEquals("any", routeFor(t, null, "/users/42/posts"));
  }

  @Test
  void regex_is_anchored_at_the_path_start_but_not_at_its_end() {
    RouteTable t = table("{name: versioned, service: svc, paths: ['~/v[0-9]+/'], strip_path: true}");
    assertEquals("versioned", routeFor(t, null, "/v2/items"));
    assertNull(routeFor(t, null, "/x/v2/items"), "lookingAt must not find the regex in the middle");
    RouteMatch m = t.match("GET", null, "/v12/items/7", NO_HEADERS);
    assertEquals("/items/7", m.upstreamPath("/v12/items/7"));
  }

  @Test
  void exact_host_wildcard_host_and_any_host_in_that_order() {
    RouteTable t = table(
        "{name: any, service: svc}",
        "{name: wild, service: svc, hosts: ['*.example.com']}",
        "{name: deep-wild, service: svc, hosts: ['*.b.example.com']}",
        "{name: exact, service: svc, hosts: [api.example.com]}");
    assertEquals("exact", routeFor(t, "api.example.com", "/x"));
    assertEquals("exact", routeFor(t, "API.Example.COM", "/x"));
    assertEquals("wild", routeFor(t, "sub.example.com", "/x"));
    assertEquals("wild", routeFor(t, "a.c.example.com", "/x"));
    assertEquals("deep-wild", routeFor(t, "a.b.example.com", "/x"), "the longer wildcard suffix first");
    assertEquals("any", routeFor(t, "example.com", "/x"), "*.example.com must not match example.com");
    assertEquals("any", routeFor(t, "badexample.com", "/x"));
    assertEquals("any", routeFor(t, null, "/x"));
  }

  @Test
  void host_specific_route_beats_a_hostless_one_of_higher_priority_and_stronger_kind() {
    RouteTable t = table(
        "{name: hostless, service: svc, paths: [=/x], priority: 100}",
        "{name: hosted, service: svc, hosts: [api.example.com], paths: [/]}");
    assertEquals("hosted", routeFor(t, "api.example.com", "/x"));
    assertEquals("hostless", routeFor(t, "other.example.com", "/x"));
  }

  @Test
  void host_without_a_matching_path_falls_back_to_hostless_routes() {
    RouteTable t = table(
        "{name: hosted, service: svc, hosts: [api.example.com, '*.api.example.com'], paths: [/api]}",
        "{name: hostless, service: svc, paths: [/]}");
    assertEquals("hosted", routeFor(t, "api.example.com", "/api/x"));
    assertEquals("hostless", routeFor(t, "api.example.com", "/other"));
    assertEquals("hostless", routeFor(t, "eu.api.example.com", "/other"));
  }

  @Test
  void method_condition_falls_through_to_the_next_candidate() {
    RouteTable t = table(
        "{name: read, service: svc, paths: [=/items], methods: [GET, HEAD]}",
        "{name: fallback, service: svc, paths: [/items]}");
    assertEquals("read", routeFor(t, "GET", null, "/items", NO_HEADERS));
    assertEquals("read", routeFor(t, "HEAD", null, "/items", NO_HEADERS));
    assertEquals("fallback", routeFor(t, "POST", null, "/items", NO_HEADERS));
    RouteTable only = table("{name: read, service: svc, paths: [=/items], methods: [GET]}");
    assertNull(routeFor(only, "DELETE", null, "/items", NO_HEADERS));
  }

  @Test
  void header_condition_matches_values_case_insensitively_and_falls_through() {
    RouteTable t = table(
        "{name: canary, service: svc, paths: [=/x], headers: {X-Env: [canary, beta]}}",
        "{name: stable, service: svc, paths: [/x]}");
    assertEquals("canary", routeFor(t, "GET", null, "/x", headers("x-env", "CANARY")));
    assertEquals("canary", routeFor(t, "GET", null, "/x", headers("X-ENV", "Beta")));
    assertEquals("canary", routeFor(t, "GET", null, "/x", headers("X-Env", "prod").add("x-env", "canary")));
    assertEquals("stable", routeFor(t, "GET", null, "/x", headers("X-Env", "prod")));
    assertEquals("stable", routeFor(t, "GET", null, "/x", NO_HEADERS));
  }

  @Test
  void every_listed_header_must_match() {
    RouteTable t = table(
        "{name: both, service: svc, paths: [/x], headers: {X-A: ['1'], X-B: ['2']}, priority: 1}",
        "{name: other, service: svc, paths: [/x]}");
    assertEquals("both", routeFor(t, "GET", null, "/x", headers("X-A", "1").add("X-B", "2")));
    assertEquals("other", routeFor(t, "GET", null, "/x", headers("X-A", "1")));
  }

  private static MultiMap headers(String name, String value) {
    return MultiMap.caseInsensitiveMultiMap().add(name, value);
  }

  @ParameterizedTest(name = "{0} strip={1} service={2}: {3} -> {4}")
  @CsvSource({
      "/api,          false, svc,   /api/users,   /api/users",
      "/api,          true,  svc,   /api/users,   /users",
      "/api,          true,  svc,   /api,         /",
      "/api,          true,  svc,   /api/,        /",
      "/api,          false, based, /api/users,   /v1/api/users",
      "/api,          true,  based, /api/users,   /v1/users",
      "/api,          true,  based, /api,         /v1",
      "/,             true,  svc,   /a/b,         /a/b",
      "/,             true,  based, /a/b,         /v1/a/b",
      "=/login,       true,  svc,   /login,       /",
      "=/login,       true,  based, /login,       /v1",
      "=/login,       false, based, /login,       /v1/login",
      "'/users/{id}', true,  svc,   /users/42,    /",
      "'~/v[0-9]+',   true,  svc,   /v2/items,    /items",
      "'~/v[0-9]+',   true,  svc,   /v2,          /",
  })
  void upstream_path_applies_strip_path_then_the_service_base_path(String pattern, boolean strip, String service,
                                                                    String path, String expected) {
    RouteTable t = table("{name: r, service: " + service + ", paths: ['" + pattern + "'], strip_path: " + strip + "}");
    RouteMatch m = t.match("GET", null, path, NO_HEADERS);
    assertNotNull(m, "no match for " + path);
    assertEquals(expected, m.upstreamPath(path));
  }

  @Test
  void ten_thousand_routes_still_resolve_to_the_right_route() {
    StringBuilder yaml = new StringBuilder("""
        format_version: 1
        services:
          - name: svc
            targets: [{address: "127.0.0.1:9000"}]
        routes:
        """);
    for (int i = 0; i < 10_000; i++) {
      yaml.append("  - {name: r").append(i).append(", service: svc, ").append(bigRoute(i)).append("}\n");
    }
    RouteTable t = build(DeclarativeConfig.parse(yaml.toString()));
    assertEquals(10_000, t.size());

    int checked = 0;
    for (int i = 0; i < 10_000; i += 7) {
      switch (i % 5) {
        case 0 -> {
          assertEquals("r" + i, routeFor(t, null, "/svc/s" + i + "/x"));
          assertEquals("r" + (i + 1), routeFor(t, null, "/svc/s" + i + "/v2/y"), "longer prefix");
          String host = "h" + (i + 4) + ".example.com";
          String expected = i % 50 == 0 ? "r" + (i + 4) : "r" + i;
          assertEquals(expected, routeFor(t, host, "/svc/s" + i + "/x"), host);
          assertNull(routeFor(t, null, "/svc/s" + i + "x"));
        }
        case 1 -> assertEquals("r" + i, routeFor(t, null, "/svc/s" + (i - 1) + "/v2"));
        case 2 -> {
          assertEquals("r" + i, routeFor(t, null, "/exact/e" + i));
          assertNull(routeFor(t, null, "/exact/e" + i + "/z"));
        }
        case 3 -> {
          assertEquals("r" + i, routeFor(t, null, "/tpl/t" + i + "/42"));
          assertNull(routeFor(t, null, "/tpl/t" + i));
        }
        default -> {
          if (i % 1000 == 9) {
            assertEquals("r" + i, routeFor(t, "a.w" + i + ".example.com", "/anything"));
            assertNull(routeFor(t, "w" + i + ".example.com", "/anything"));
          } else if (i % 50 == 4) {
            assertEquals("r" + i, routeFor(t, "h" + i + ".example.com", "/svc/s" + (i - 4) + "/x"));
          } else {
            assertEquals("r" + i, routeFor(t, "any.example.com", "/misc/m" + i + "/a/b"));
          }
        }
      }
      checked++;
    }
    assertEquals(1429, checked);
    assertEquals("r9", routeFor(t, "x.w9.example.com", "/"));
    assertEquals("r4", routeFor(t, "h4.example.com", "/svc/s0"));
  }

  /** Route i of the big table: prefixes, nested longer prefixes, exact paths, templates, some hosts. */
  private static String bigRoute(int i) {
    return switch (i % 5) {
      case 0 -> "paths: [/svc/s" + i + "]";
      case 1 -> "paths: [/svc/s" + (i - 1) + "/v2]";
      case 2 -> "paths: [=/exact/e" + i + "]";
      case 3 -> "paths: ['/tpl/t" + i + "/{id}']";
      default -> i % 1000 == 9 ? "hosts: ['*.w" + i + ".example.com'], paths: [/]"
          : i % 50 == 4 ? "hosts: [h" + i + ".example.com], paths: [/svc/s" + (i - 4) + "]"
          : "paths: [/misc/m" + i + "/a]";
    };
  }
}
