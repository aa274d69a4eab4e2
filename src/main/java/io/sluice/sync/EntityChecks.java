package io.sluice.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.ConfigException;
import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.config.PluginDef;
import io.sluice.config.PolicySchemas;
import io.sluice.config.Rejection;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The check of one entity for {@link Assembly}: its state as written built into a definition as the declarative
 * file would build it, or refused with the reason, keeping its last good state when there is one; and what the
 * check made of each state (its {@link Memo}), reused while the node holds that very object and what the check
 * depended on is the same. Not thread-safe: the applier runs one assembly at a time.
 */
final class EntityChecks {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What was made of one entity's state, valid while the node holds that very object. */
  static final class Memo {
    final JsonObject entity;
    final long seq;
    /** What the check depended on beyond the entity (null until checked). */
    Object context;
    Checked<?> checked;

    private UUID serviceId;

    Memo(JsonObject entity) {
      this.entity = entity;
      this.seq = entity.getLong("seq", 0L);
    }

    /** A route's service id, read once per state. */
    UUID serviceId() {
      if (serviceId == null) {
        serviceId = UUID.fromString(entity.getString("service_id"));
      }
      return serviceId;
    }
  }

  /** The last state of each entity that was accepted, for an entity whose new state is refused. */
  private final Map<EntityKey, JsonObject> lastGood = new HashMap<>();
  private final Map<EntityKey, Memo> memos = new HashMap<>();
  private final boolean memoize;

  /** {@code memoize}: false checks every entity at every assembly (what the memo is compared with). */
  EntityChecks(boolean memoize) {
    this.memoize = memoize;
  }

  /** Drops every memo: the next assembly checks every entity again (the full reload). */
  void forget() {
    memos.clear();
  }

  /** The memo of the state of {@code key} last checked or sorted, or null. */
  Memo memo(EntityKey key) {
    return memos.get(key);
  }

  /** Forgets an entity the node no longer holds. */
  void drop(EntityKey key) {
    memos.remove(key);
    lastGood.remove(key);
  }

  /** Forgets every entity but those in {@code held}. */
  void retain(Set<EntityKey> held) {
    lastGood.keySet().retainAll(held);
    memos.keySet().retainAll(held);
  }

  /** A plugin whose policy is known and whose configuration fits the policy's schema. */
  static PluginDef plugin(JsonObject p, String service, String route) {
    JsonNode config = tree(p.getJsonObject("config", new JsonObject()));
    List<FieldError> errors = PolicySchemas.validate(p.getString("name"), config, "");
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new PluginDef(p.getString("id"), p.getString("name"), p.getString("scope"), service, route,
        p.getString("consumer_id"), config);
  }

  /** The value and, when its state as written was refused, the rejection (value then the last good, or null). */
  record Checked<T>(T value, Rejection rejection) {

    static <T> Checked<T> refused(Rejection r) {
      return new Checked<>(null, r);
    }
  }

  /** Refused after all (a conflict that the entity's own check could not see): nothing is kept. */
  static <T> Checked<T> refuse(Checked<T> c, EntityKey key, JsonObject entity, String reason) {
    Rejection r = c.rejection;
    return Checked.refused(r == null ? rejection(key, entity, reason, false)
        : new Rejection(r.type(), r.id(), r.name(), r.reason() + "; " + reason, r.version(), false));
  }

  /**
   * The entity checked, from its memo when the node holds the same object and {@code context} (what the
   * check depends on beyond the entity) is equal: the last good state then is what it was at that check too
   * (only this method changes it while the entity is held), so the answer would be the same.
   */
  @SuppressWarnings("unchecked")
  <T> Checked<T> check(EntityKey key, JsonObject entity, Object context, Function<JsonObject, T> build) {
    Memo m = memos.get(key);
    if (m != null && m.entity == entity && m.checked != null && java.util.Objects.equals(m.context, context)) {
      return (Checked<T>) m.checked;
    }
    Checked<T> c = checkAnew(key, entity, build);
    if (memoize) {
      Memo fresh = m != null && m.entity == entity ? m : new Memo(entity);
      fresh.context = context;
      fresh.checked = c;
      memos.put(key, fresh);
    }
    return c;
  }

  private <T> Checked<T> checkAnew(EntityKey key, JsonObject entity, Function<JsonObject, T> build) {
    try {
      T value = build.apply(entity);
      lastGood.put(key, entity);
      return new Checked<>(value, null);
    } catch (ConfigException | IllegalArgumentException e) {
      String reason = e instanceof ConfigException c ? c.errors().stream().map(FieldError::toString)
          .collect(Collectors.joining("; ")) : e.getMessage();
      JsonObject last = lastGood.get(key);
      T kept = null;
      if (last != null) {
        try {
          kept = build.apply(last);
        } catch (ConfigException | IllegalArgumentException ignored) {
          lastGood.remove(key);
        }
      }
      return new Checked<>(kept, rejection(key, entity, reason, kept != null));
    }
  }

  static Rejection rejection(EntityKey key, JsonObject entity, String reason, boolean kept) {
    String name = key.type() == EntityType.PLUGIN ? entity.getString("name")
        : entity.getJsonObject("def", new JsonObject()).getString("name");
    return new Rejection(key.type(), key.id().toString(), name, reason, changedIn(entity), kept);
  }

  static long changedIn(JsonObject entity) {
    return entity.getLong("changed_in", 0L);
  }

  /**
   * The entities by type, each type in creation order (ties by id, so every node orders them alike); the
   * order key is read once per state of an entity (its memo).
   */
  Map<EntityType, List<Map.Entry<EntityKey, Memo>>> sorted(Map<EntityKey, JsonObject> entities) {
    Map<EntityType, List<Map.Entry<EntityKey, Memo>>> byType = new java.util.EnumMap<>(EntityType.class);
    for (Map.Entry<EntityKey, JsonObject> e : entities.entrySet()) {
      EntityType type = e.getKey().type();
      if (type != EntityType.SERVICE && type != EntityType.ROUTE && type != EntityType.PLUGIN) {
        continue;
      }
      Memo m = memos.get(e.getKey());
      if (m == null || m.entity != e.getValue()) {
        m = new Memo(e.getValue());
        if (memoize) {
          memos.put(e.getKey(), m);
        }
      }
      byType.computeIfAbsent(type, k -> new ArrayList<>()).add(Map.entry(e.getKey(), m));
    }
    Comparator<Map.Entry<EntityKey, Memo>> order = Comparator.<Map.Entry<EntityKey, Memo>>comparingLong(
        e -> e.getValue().seq).thenComparing(e -> e.getKey().id());
    byType.values().forEach(list -> list.sort(order));
    return byType;
  }

  static ObjectNode def(JsonObject entity) {
    JsonObject def = entity.getJsonObject("def");
    if (def == null) {
      throw new IllegalArgumentException("no definition");
    }
    return (ObjectNode) tree(def);
  }

  private static JsonNode tree(JsonObject o) {
    try {
      return JSON.readTree(o.encode());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
