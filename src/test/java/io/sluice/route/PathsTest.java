package io.sluice.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one canonical form of a request path: what routes match and what the target gets. */
class PathsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "/a/b,            /a/b",
      "/a/../b,         /b",
      "/a/./b,          /a/b",
      "/a/b/..,         /a/",
      "/a/b/../,        /a/",
      "/a/b/.,          /a/b/",
      "/a/..,           /",
      "/./,             /",
      "/.hidden/x,      /.hidden/x",
      "/a/..b,          /a/..b",
      "/,               /",
      "/api/%61dmin/x,  /api/admin/x",
      "/api/adm%69n/x,  /api/admin/x",
      "/api/x/%2e%2e/admin/x, /api/admin/x",
      "/api/x/.%2e/admin/x,   /api/admin/x",
      "/api//admin/x,   /api/admin/x",
      "//api///admin,   /api/admin",
      "/a%7eb%2Dc,      /a~b-c",
      "/caf%c3%a9,      /caf%C3%A9",
      "/a%20b,          /a%20b",
      "/a%3fb,          /a%3Fb",
      "/%f0%9f%98%80,   /%F0%9F%98%80",
      "/%e2%82%ac,      /%E2%82%AC",
  })
  void decodes_unreserved_escapes_then_removes_dot_segments_and_merges_slashes(String in, String out) {
    assertEquals(out, Paths.canonical(in));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/..", "/../a", "/a/../..", "/a/%2e%2e/%2e%2e", "a/b", "", "*", "/api/x%2f..%2fadmin/x",
      "/api/x/..%5cadmin/x", "/api/admin%00/x", "/a\\b", "/api/admin;x/x", "/a%zz", "/a%4", "/a b", "/a\u0001b",
      "/caf\u00e9", "/a/%c0%ae%c0%ae/b", "/a%ae", "/caf%c3", "/caf%c3/x", "/a%ed%a0%80",
      "/a%f4%90%80%80", "/a%e0%80%af", "/a%ff", "/a%f0%9f%98"})
  void refuses_what_two_servers_could_read_differently(String in) {
    assertThrows(Paths.Refused.class, () -> Paths.canonical(in));
  }

  @Test
  void semicolons_and_repeated_slashes_follow_the_settings() {
    assertEquals("/a;v=1/b", Paths.canonical("/a;v=1/b", true, true));
    assertThrows(Paths.Refused.class, () -> Paths.canonical("/a//b", false, false));
    assertEquals("/a/b", Paths.canonical("/a/b", false, false));
  }
}
