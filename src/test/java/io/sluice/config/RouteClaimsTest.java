package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which route would take requests another serves, in the route table's order (exact host, wildcard, none). */
class RouteClaimsTest {

  private static RouteDef route(List<String> hosts, List<String> paths, int priority) {
    return new RouteDef("r", "s", hosts, paths, List.of(), Map.of(), false, false, priority);
  }

  private static RouteDef route(List<String> paths, int priority) {
    return route(List.of(), paths, priority);
  }

  @Test
  void a_route_without_hosts_takes_the_same_paths_of_another_without_hosts_unless_its_priority_is_lower() {
    RouteDef tps = route(List.of("/tps"), 0);
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("/tps"), 1000), tps));
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("/tps"), 0), tps), "a tie may go either way");
    assertEquals("paths[1]", RouteClaims.takes(route(List.of("/other", "=/tps/login"), 0), tps));
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("/tps/{id}"), 0), tps));
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("~^/t"), 0), tps), "a regex is taken to meet any path");
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("/"), 0), tps), "a prefix / meets every path");
    assertNull(RouteClaims.takes(route(List.of("/tps"), -1), tps), "a lower priority comes after it");
    assertNull(RouteClaims.takes(route(List.of("/tpsx", "/x/tps", "=/"), 0), tps), "whole segments only");
    assertNull(RouteClaims.takes(route(List.of("/a/{id}"), 0), route(List.of("=/a/b/c", "/b"), 0)));
    assertNull(RouteClaims.takes(route(List.of("=/a"), 0), route(List.of("=/a/b"), 0)));
  }

  @Test
  void hosts_decide_first_exact_then_the_longest_wildcard_then_none() {
    RouteDef anyHost = route(List.of("/"), 1000);
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("b.test"), List.of("/x"), -5), anyHost),
        "a route with a host is looked at before every route without one, whatever the priorities");
    assertNull(RouteClaims.takes(route(List.of("/x"), 5000), route(List.of("a.test"), List.of("/"), 0)),
        "a route without hosts comes after a route of the request's host");
    RouteDef aTest = route(List.of("a.test"), List.of("/"), 0);
    assertNull(RouteClaims.takes(route(List.of("b.test"), List.of("/"), 0), aTest), "other hosts");
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("B.Test", "A.TEST"), List.of("/"), 0), aTest),
        "host names are compared without case");
    assertNull(RouteClaims.takes(route(List.of("*.x.test"), List.of("/"), 9), route(List.of("a.x.test"),
        List.of("/"), 0)), "an exact host comes before a wildcard");
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("a.x.test"), List.of("/"), 0),
        route(List.of("*.x.test"), List.of("/"), 9)));
    assertEquals("paths[0]", RouteClaims.takes(route(List.of("*.a.x.test"), List.of("/"), 0),
        route(List.of("*.x.test"), List.of("/"), 9)), "the longer suffix is looked up first");
    assertNull(RouteClaims.takes(route(List.of("*.x.test"), List.of("/"), 0),
        route(List.of("*.a.x.test"), List.of("/"), 0)));
    assertNull(RouteClaims.takes(route(List.of("*.y.test"), List.of("/"), 0),
        route(List.of("*.x.test"), List.of("/"), 0)));
  }

  @Test
  void methods_or_header_values_that_no_request_has_both_of_keep_routes_apart() {
    RouteDef get = new RouteDef("r", "s", List.of(), List.of("/"), List.of("GET"), Map.of("x-v", List.of("1")), false,
        false, 0);
    assertNull(RouteClaims.takes(new RouteDef("n", "s", List.of(), List.of("/"), List.of("POST", "PUT"), Map.of(),
        false, false, 0), get));
    assertNull(RouteClaims.takes(new RouteDef("n", "s", List.of(), List.of("/"), List.of(), Map.of("X-V",
        List.of("2")), false, false, 0), get));
    assertEquals("paths[0]", RouteClaims.takes(new RouteDef("n", "s", List.of(), List.of("/"), List.of("get"),
        Map.of("x-other", List.of("2")), false, false, 0), get));
  }

  @Test
  void a_change_is_within_its_route_when_it_serves_no_request_more_and_none_earlier() {
    RouteDef old = new RouteDef("r", "s", List.of("a.test", "b.test"), List.of("/a", "/b"), List.of("GET", "POST"),
        Map.of("x-tier", List.of("gold", "silver")), false, false, 5);
    assertTrue(RouteClaims.within(new RouteDef("r", "other", List.of("A.test", "b.test"), List.of("/b", "/a"),
        List.of("post", "GET"), Map.of("X-Tier", List.of("silver", "gold")), true, true, 5), old),
        "the service, strip_path and preserve_host are not matching; case and order are not either");
    assertTrue(RouteClaims.within(new RouteDef("r", "s", List.of("a.test"), List.of("/a"), List.of("GET"),
        Map.of("x-tier", List.of("gold"), "x-more", List.of("1")), false, false, -5), old), "narrower");
    for (RouteDef wider : List.of(
        new RouteDef("r", "s", List.of("a.test", "c.test"), List.of("/a"), List.of("GET"), Map.of("x-tier",
            List.of("gold")), false, false, 5),
        new RouteDef("r", "s", List.of(), List.of("/a"), List.of("GET"), Map.of("x-tier", List.of("gold")), false,
            false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of("/a", "/c"), List.of("GET"), Map.of("x-tier",
            List.of("gold")), false, false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of(), List.of("GET"), Map.of("x-tier", List.of("gold")),
            false, false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of("/a"), List.of(), Map.of("x-tier", List.of("gold")), false,
            false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of("/a"), List.of("GET", "PUT"), Map.of("x-tier",
            List.of("gold")), false, false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of("/a"), List.of("GET"), Map.of(), false, false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of("/a"), List.of("GET"), Map.of("x-tier",
            List.of("gold", "bronze")), false, false, 5),
        new RouteDef("r", "s", List.of("a.test"), List.of("/a"), List.of("GET"), Map.of("x-tier",
            List.of("gold")), false, false, 6))) {
      assertFalse(RouteClaims.within(wider, old), wider.toString());
    }
    RouteDef anyHost = route(List.of("/x"), 0);
    assertTrue(RouteClaims.within(route(List.of("/x"), 0), anyHost), "no hosts, as before");
    assertFalse(RouteClaims.within(route(List.of("x.test"), List.of("/x"), 0), anyHost),
        "a host puts a route ahead of every route without one");
  }
}
