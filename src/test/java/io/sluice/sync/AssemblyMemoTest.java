package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The memoized assembly (issue 19: only entities whose state changed are checked again) answers exactly as
 * one that checks every entity at every assembly, after any sequence of writes: invalid states, last good
 * states kept, name conflicts, dependents of rejected entities, deletions, disabled plugins and tenant ids.
 */
class AssemblyMemoTest {

  private static final String[] PATHS = {"/a", "/b/{id}", "~/c/[0-9]+", "~(", "=/d"};

  /** Entities written at random, each write a new object as the applier holds them. */
  static final class Writes {
    final Random random;
    final EntityKey[] services = keys(EntityType.SERVICE, 3);
    final EntityKey[] routes = keys(EntityType.ROUTE, 8);
    final EntityKey[] plugins = keys(EntityType.PLUGIN, 6);
    final Map<EntityKey, JsonObject> held = new HashMap<>();
    final Map<EntityKey, Long> seqs = new HashMap<>();
    long version;

    Writes(long seed) {
      random = new Random(seed);
    }

    void write() {
      version++;
      int kind = random.nextInt(3);
      EntityKey[] pool = kind == 0 ? services : kind == 1 ? routes : plugins;
      EntityKey key = pool[random.nextInt(pool.length)];
      int what = random.nextInt(8);
      if (what == 0) {
        held.remove(key);
        seqs.remove(key);
        return;
      }
      if (what == 1 && held.containsKey(key)) {
        held.put(key, held.get(key).copy());  // the same state, another object: checked again, same answer
        return;
      }
      JsonObject e = new JsonObject().put("seq", seqs.computeIfAbsent(key, k -> version)).put("changed_in", version);
      if (kind == 0) {
        e.put("def", new JsonObject().put("name", pick("a", "b", "a", "c"))
            .put("targets", List.of(new JsonObject().put("address", "127.0.0.1:" + pick("80", "81", "99999")))));
        if (random.nextBoolean()) {
          e.put("tenant_id", pick("t1", "t2"));
        }
      } else if (kind == 1) {
        e.put("service_id", services[random.nextInt(services.length)].id().toString())
            .put("def", new JsonObject().put("name", "r" + random.nextInt(5)).put("paths", List.of(pick(PATHS))));
      } else {
        e.put("id", key.id().toString()).put("name", pick("correlation-id", "correlation-id", "no-such-policy"))
            .put("config", random.nextInt(4) == 0 ? new JsonObject().put("unknown", true) : new JsonObject())
            .put("enabled", random.nextInt(5) != 0);
        switch (random.nextInt(3)) {
          case 0 -> e.put("scope", "global");
          case 1 -> e.put("scope", "service").put("service_id", services[random.nextInt(services.length)].id().toString());
          default -> e.put("scope", "route").put("route_id", routes[random.nextInt(routes.length)].id().toString());
        }
      }
      held.put(key, e);
    }

    private String pick(String... values) {
      return values[random.nextInt(values.length)];
    }

    private static EntityKey[] keys(EntityType type, int n) {
      EntityKey[] keys = new EntityKey[n];
      for (int i = 0; i < n; i++) {
        keys[i] = new EntityKey(type, new UUID(type.ordinal(), i));
      }
      return keys;
    }
  }

  @Property(tries = 100)
  void a_memoized_assembly_answers_as_one_that_checks_everything(@ForAll long seed,
                                                                 @ForAll @IntRange(min = 1, max = 80) int steps) {
    Writes writes = new Writes(seed);
    Assembly memoized = new Assembly();
    Assembly everything = new Assembly(false);
    int rejected = 0;
    for (int step = 0; step < steps; step++) {
      for (int i = 0, n = 1 + writes.random.nextInt(3); i < n; i++) {
        writes.write();
      }
      if (writes.random.nextInt(10) == 0) {
        memoized.forget();  // the full reload: everything checked again, the same answer
      }
      Assembly.Result want = everything.assemble(writes.held);
      Assembly.Result got = memoized.assemble(writes.held);
      assertEquals(want, got, "at step " + step);
      rejected += want.rejected().size();
    }
    assertTrue(steps < 20 || rejected > 0, "the writes include refused states");
  }
}
