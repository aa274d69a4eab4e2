package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which names' holdings meet: a name holds the names under it, *.suffix holds the suffix too, * holds nothing. */
class NameClaimsTest {

  @Test
  void a_name_meets_itself_the_names_under_it_and_the_names_over_it() {
    for (String other : List.of("b.test", "B.Test", "*.b.test", "api.b.test", "*.api.b.test", "x.api.b.test",
        "*.test", "test")) {
      assertTrue(NameClaims.meet("b.test", other), other);
      assertTrue(NameClaims.meet(other, "b.test"), other + ", the other way");
    }
  }

  @Test
  void names_beside_each_other_and_the_default_name_do_not_meet() {
    for (String other : List.of("a.test", "*.a.test", "ab.test", "xb.test", "b.test.example", "*.b.testx", "*")) {
      assertFalse(NameClaims.meet("b.test", other), other);
      assertFalse(NameClaims.meet("*.b.test", other), other);
    }
    assertFalse(NameClaims.meet("*", "*"));
  }

  @Test
  void a_name_lies_within_assigned_names_when_it_is_one_or_under_one() {
    List<String> assigned = List.of("a.test", "*.b.example");
    for (String name : List.of("a.test", "A.Test", "api.a.test", "*.a.test", "b.example", "*.b.example",
        "x.y.b.example")) {
      assertTrue(NameClaims.within(name, assigned), name);
    }
    for (String name : List.of("test", "*.test", "xa.test", "example", "*", "a.test.example")) {
      assertFalse(NameClaims.within(name, assigned), name);
    }
    assertFalse(NameClaims.within("a.test", List.of()), "nothing assigned: nothing within");
  }

  @Test
  void the_names_that_meet_one_at_or_over_it_are_its_parents_each_also_as_a_wildcard() {
    assertEquals(List.of("api.b.test", "*.api.b.test", "b.test", "*.b.test", "test", "*.test"),
        NameClaims.atOrAbove("API.b.test"));
    assertEquals(List.of("b.test", "*.b.test", "test", "*.test"), NameClaims.atOrAbove("*.b.test"));
    assertEquals(List.of(), NameClaims.atOrAbove("*"));
  }
}
