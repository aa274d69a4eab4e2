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

  private static final String REF_A = "hmac-sha256:" + "a".repeat(64);
  private static final String REF_B = "hmac-sha256:" + "b".repeat(64);
  private static final String REF_C = "hmac-sha256:" + "c".repeat(64);

  private static GatewayConfig withConsumers(String consumers) {
    return DeclarativeConfig.parse("format_version: 1\nservices: []\nroutes: []\nconsumers:\n" + consumers);
  }

  @Test
  void keys_are_kept_by_digest_created_by_digest_or_generated_deleted_when_absent_and_a_gone_ref_is_missing() {
    GatewayConfig current = withConsumers("  - {tenant: t1, username: al, keys: [{prefix: sk_1, ref: \"" + REF_A
        + "\"}, {prefix: sk_2, ref: \"" + REF_B + "\"}]}\n  - {tenant: t1, username: gone}\n");
    GatewayConfig wanted = withConsumers("  - {tenant: t1, username: al, groups: [g], keys: [{ref: \"" + REF_A
        + "\"}, {digest: \"" + REF_C + "\"}, {generate: true}]}\n");
    ConfigDiff diff = ConfigDiff.between(current, wanted, Set.of("t1"));
    assertEquals(List.of("consumer t1/al update", "key t1/al sk_2 delete", "key t1/al hmac-sha256:cccccccccccc… create",
        "key t1/al (generated) create", "consumer t1/gone delete"), diff.changes().stream()
        .map(c -> c.entity() + " " + c.name() + " " + c.op()).toList());
    assertTrue(diff.missingSecrets().isEmpty());

    GatewayConfig stale = withConsumers("  - {tenant: t1, username: al, keys: [{prefix: sk_9, ref: \"" + REF_C
        + "\"}]}\n");
    assertEquals(List.of("API key sk_9 (hmac-sha256:cccccccccccc…) of consumer t1/al no longer exists"),
        ConfigDiff.between(current, stale, Set.of("t1")).missingSecrets());
  }

  @Test
  void a_file_without_consumers_leaves_consumers_and_their_plugins_alone() {
    GatewayConfig current = DeclarativeConfig.parse("format_version: 1\nservices: []\nroutes: []\n"
        + "consumers: [{tenant: t1, username: al}]\n"
        + "plugins: [{name: cors, scope: consumer, tenant: t1, consumer: al}]\n");
    GatewayConfig none = DeclarativeConfig.parse("format_version: 1\nservices: []\nroutes: []\n");
    assertTrue(ConfigDiff.between(current, none, Set.of("t1")).isEmpty());
    GatewayConfig empty = DeclarativeConfig.parse("format_version: 1\nservices: []\nroutes: []\nconsumers: []\n");
    assertEquals(List.of("plugin cors (consumer t1/al) delete", "consumer t1/al delete"), ConfigDiff.between(current,
        empty, Set.of("t1")).changes().stream().map(c -> c.entity() + " " + c.name() + " " + c.op()).toList(),
        "consumers: [] deletes the consumer, after its plugin");
  }
}
