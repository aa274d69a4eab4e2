package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
