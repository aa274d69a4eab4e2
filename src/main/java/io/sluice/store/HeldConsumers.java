package io.sluice.store;

import io.sluice.config.ConsumerEntry;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The consumers of an earlier version that a file refuses (rows written with psql: a comma inside a group name, a
 * username out of its one form), which a rollback to that version carries as they are instead of refusing it
 * whole: a rollback of changes that never touched such a consumer leaves it alone (the diff finds it equal to what
 * is stored) and applies. One the rollback would write (changed or deleted since, so restoring it means writing
 * the refused row back) fails it with {@link StoredConfigInvalidException}, naming that consumer and its fields
 * ({@link #refuseWriting}). By consumer ({@code tenant/username}), its problems named by its place in the file.
 */
public record HeldConsumers(long at, Map<String, List<StoredConfigInvalidException.Problem>> byConsumer) {

  /** None: a file applied as it is ({@code PUT /config}). */
  public static final HeldConsumers NONE = new HeldConsumers(0, Map.of());

  /** The consumers {@code problems} name, or null when one of them is about another row than a consumer. */
  static HeldConsumers of(long at, List<StoredConfigInvalidException.Problem> problems) {
    Map<String, List<StoredConfigInvalidException.Problem>> by = new LinkedHashMap<>();
    for (StoredConfigInvalidException.Problem p : problems) {
      if (!p.entity().equals("consumer")) {
        return null;
      }
      by.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p);
    }
    return new HeldConsumers(at, by);
  }

  /** Whether {@code c} is held (by its key, tenant/username). */
  boolean holds(ConsumerEntry c) {
    return byConsumer.containsKey(c.key());
  }

  /** Whether {@code p} is a plugin of a held consumer. */
  boolean holdsPluginOf(PluginEntry p) {
    return "consumer".equals(p.scope()) && byConsumer.containsKey(p.target());
  }

  /** {@code rest} (the file without the held consumers and their plugins) with them back, as they were. */
  static GatewayConfig putBack(GatewayConfig rest, List<ConsumerEntry> consumers, List<PluginEntry> plugins) {
    List<ConsumerEntry> c = new ArrayList<>(rest.consumers());
    c.addAll(consumers);
    List<PluginEntry> p = new ArrayList<>(rest.plugins());
    p.addAll(plugins);
    return new GatewayConfig(rest.formatVersion(), rest.services(), rest.routes(), p, c, rest.certificates());
  }

  /**
   * Fails naming each held consumer among {@code written} (the consumers a diff creates, updates or changes a
   * credential of): writing it would store a row a file refuses. Nothing is written.
   */
  void refuseWriting(Set<String> written) {
    List<StoredConfigInvalidException.Problem> problems = new ArrayList<>();
    byConsumer.forEach((consumer, its) -> {
      if (written.contains(consumer)) {
        problems.addAll(its);
      }
    });
    if (!problems.isEmpty()) {
      throw new StoredConfigInvalidException(problems, at);
    }
  }
}
