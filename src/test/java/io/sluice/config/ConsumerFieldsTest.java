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

  @Test
  void a_name_has_one_form_nfc_no_space_at_either_end_nothing_invisible() {
    assertEquals(List.of("username"), fields("Jose\u0301", null, List.of()), "NFD: e and a combining accent");
    assertEquals(List.of(), fields("Jos\u00e9", null, List.of()), "NFC: one character");
    assertEquals(List.of("username", "custom_id"), fields("alice\u00a0", "\u2007c-1", List.of()),
        "a no-break space, which String.strip keeps");
    assertEquals(List.of("username", "custom_id"), fields("al\u200bice", "c\u2028-1", List.of()),
        "a zero-width space (format), a line separator");
    assertEquals(List.of("username"), fields("\ufeffalice", null, List.of()), "a byte order mark");
    assertEquals(List.of(), fields("al ice", "\uff41\uff4c\uff49\uff43\uff45", List.of()),
        "a space inside, full-width letters: names of their own, as Alice is beside alice");
    assertEquals(true, ConsumerFields.formProblem("Jose\u0301").contains("NFC"));
    assertEquals(true, ConsumerFields.formProblem("al\u200bice").contains("U+200B"));
  }
}
