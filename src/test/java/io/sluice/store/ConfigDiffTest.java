package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.FieldDiff;
import io.sluice.config.GatewayConfig;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The diff alone, without a database: by name, only real differences, foreign-key-safe order. */
class ConfigDiffTest {

  private static GatewayConfig config(String services, String routes) {
    return DeclarativeConfig.parse("format_version: 1\nservices:\n" + services + "routes:\n" + routes);
  }

  private static final String A = "  - {name: a, tenant: t1, targets: [{address: \"h:1\"}]}\n";

  @Test
  void equal_configurations_differ_in_nothing_even_when_defaults_are_written_out() {
    GatewayConfig current = config(A, "  - {name: r, service: a}\n");
    GatewayConfig wanted = config("  - {name: a, tenant: t1, retries: 2, targets: [{address: \"h:1\", weight: 100}]}\n",
        "  - {name: r, service: a, paths: [\"/\"], strip_path: false}\n");
    assertTrue(ConfigDiff.between(current, wanted, Set.of("t1")).isEmpty());
  }

  @Test
  void creates_updates_and_deletes_in_an_order_foreign_keys_accept() {
    GatewayConfig current = config(A + "  - {name: gone, targets: [{address: \"h:2\"}]}\n",
        "  - {name: r, service: gone}\n  - {name: same, service: a}\n");
    GatewayConfig wanted = config("  - {name: a, tenant: t1, retries: 0, targets: [{address: \"h:1\"}]}\n"
            + "  - {name: b, tenant: t2, targets: [{address: \"h:3\"}]}\n",
        "  - {name: same, service: a}\n  - {name: new, service: b}\n");
    List<ConfigDiff.Item> changes = ConfigDiff.between(current, wanted, Set.of("t1")).changes();
    assertEquals(List.of(
        new ConfigDiff.Item("tenant", "t2", "create"),
        new ConfigDiff.Item("service", "b", "create"),
        new ConfigDiff.Item("service", "a", "update", List.of(new FieldDiff.Change("retries", IntNode.valueOf(2),
            IntNode.valueOf(0)))),
        new ConfigDiff.Item("route", "r", "delete"),
        new ConfigDiff.Item("route", "new", "create"),
        new ConfigDiff.Item("service", "gone", "delete")), changes);
  }

  @Test
  void an_update_names_every_field_it_changes_with_the_old_and_new_value() {
    GatewayConfig current = config("  - {name: a, targets: [{address: \"h:1\"}, {address: \"h:2\"}]}\n",
        "  - {name: r, service: a, paths: [\"/x\"], methods: [GET]}\n");
    GatewayConfig wanted = config("  - {name: a, targets: [{address: \"h:1\"}, {address: \"h:9\"}],"
        + " timeouts: {read_ms: 500}}\n", "  - {name: r, service: a, paths: [\"/x\"]}\n");
    List<ConfigDiff.Item> changes = ConfigDiff.between(current, wanted, Set.of("default")).changes();
    List<String> fields = changes.stream().flatMap(c -> c.fields().stream().map(f -> c.entity() + " " + c.name()
        + " " + f.field() + ": " + f.old() + " -> " + f.now())).toList();
    assertEquals(List.of("service a targets[1].address: \"h:2\" -> \"h:9\"",
        "service a timeouts.read_ms: 30000 -> 500", "route r methods[0]: \"GET\" -> null"), fields);
  }
}
