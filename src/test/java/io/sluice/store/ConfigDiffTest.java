package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.DeclarativeConfig;
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
        new ConfigDiff.Item("service", "a", "update"),
        new ConfigDiff.Item("route", "r", "delete"),
        new ConfigDiff.Item("route", "new", "create"),
        new ConfigDiff.Item("service", "gone", "delete")), changes);
  }
}
