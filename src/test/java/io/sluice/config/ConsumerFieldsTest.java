package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks a node applies to a stored consumer before its fields go upstream (rows written with psql). */
class ConsumerFieldsTest {

  private static List<String> fields(String username, String customId, List<String> groups) {
    return ConsumerFields.check(username, customId, groups).stream().map(FieldError::field).toList();
  }

  @Test
  void a_consumer_the_api_would_take_has_no_problem() {
    assertEquals(List.of(), fields("alice", "c-1", List.of("gold", "silver.eu", "a:b-c_d")));
    assertEquals(List.of(), fields("张三", null, List.of()));
  }

  @Test
  void each_bad_field_is_named_as_the_api_names_it() {
    assertEquals(List.of("username", "custom_id", "groups[1]", "groups[3]"),
        fields(" alice", "cid\u0085x", List.of("gold", "admin, root", "silver", "gold")));
    assertEquals(List.of("username"), fields("alice\r\nX-Injected: yes", null, List.of()));
  }

  @Test
  void more_groups_than_the_api_takes_are_refused_and_only_the_first_ones_are_looked_at() {
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < ConsumerFields.GROUPS_MAX + 50; i++) {
      groups.add(i == ConsumerFields.GROUPS_MAX + 10 ? "not, looked at" : "g" + i);
    }
    groups.set(1, "g0");
    assertEquals(List.of("groups", "groups[1]"), fields("alice", null, groups));
  }
}
