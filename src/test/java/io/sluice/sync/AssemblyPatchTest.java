package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A patched assembly (issue 19: a change of routes alone costs those routes) answers exactly as one that
 * checks every entity, after any sequence of writes (invalid states, name conflicts, rejected services,
 * plugins naming routes, deletions); where a patch would not be exact it is refused and the whole assembly
 * runs, as the applier does.
 */
class AssemblyPatchTest {

  @Property(tries = 100)
  void a_patched_assembly_answers_as_one_that_checks_everything(@ForAll long seed,
                                                                @ForAll @IntRange(min = 1, max = 80) int steps) {
    AssemblyMemoTest.Writes writes = new AssemblyMemoTest.Writes(seed);
    Assembly patched = new Assembly();
    Assembly everything = new Assembly(false);
    patched.assemble(writes.held);
    for (int step = 0; step < steps; step++) {
      Map<EntityKey, JsonObject> before = new HashMap<>(writes.held);
      for (int i = 0, n = 1 + writes.random.nextInt(3); i < n; i++) {
        writes.write();
      }
      Assembly.Result want = everything.assemble(writes.held);
      AssemblyPatch.Patch p = AssemblyPatch.patch(patched, changed(before, writes.held), writes.held);
      Assembly.Result got = p != null ? p.result() : patched.assemble(writes.held);
      assertEquals(want, got, "at step " + step + (p != null ? " (patched)" : ""));
    }
  }

  /**
   * The sample the property above once failed on (CI, 2026-12-06): a route refused with an invalid state was not
   * kept at its last good one because another route held that name; deleting that other route freed the name, and
   * the patch did not know the refused route wanted it (only its current name was looked for).
   */
  @Example
  void deleting_a_route_frees_its_name_for_a_refused_route_kept_at_that_name() {
    a_patched_assembly_answers_as_one_that_checks_everything(-77122, 39);
  }

  /** Routes of one good service changed one at a time, as the hitless benchmark does: every change is patched. */
  @Example
  void route_changes_alone_are_patched_and_answer_as_the_whole() {
    Random random = new Random(7);
    Map<EntityKey, JsonObject> held = new HashMap<>();
    UUID service = new UUID(9, 9);
    held.put(new EntityKey(EntityType.SERVICE, service), new JsonObject().put("seq", 1).put("changed_in", 1)
        .put("def", new JsonObject().put("name", "svc")
            .put("targets", List.of(new JsonObject().put("address", "127.0.0.1:80")))));
    long version = 1;
    for (int i = 0; i < 50; i++) {
      held.put(route(i), routeState(++version, i, service, "/r/" + i));
    }
    Assembly patched = new Assembly();
    Assembly everything = new Assembly(false);
    patched.assemble(held);
    int next = 50;
    for (int step = 0; step < 200; step++) {
      Map<EntityKey, JsonObject> before = new HashMap<>(held);
      version++;
      int k = random.nextInt(next);
      EntityKey some = route(k);
      switch (step % 3) {
        case 0 -> held.put(route(next), routeState(version, next++, service, "/new/" + step));
        case 1 -> {
          if (held.containsKey(some)) {
            held.put(some, routeState(version, k, service, "/moved/" + step));
          }
        }
        default -> held.remove(some);
      }
      AssemblyPatch.Patch p = AssemblyPatch.patch(patched, changed(before, held), held);
      assertNotNull(p, "step " + step + " is patched");
      assertEquals(everything.assemble(held), p.result(), "at step " + step);
    }
    // A service changed: only the whole assembly is exact.
    EntityKey svc = new EntityKey(EntityType.SERVICE, service);
    held.put(svc, held.get(svc).copy().put("changed_in", ++version));
    assertNull(AssemblyPatch.patch(patched, Set.of(svc), held));
    assertEquals(everything.assemble(held), patched.assemble(held));
    assertTrue(patched.last() != null);
  }

  private static EntityKey route(int i) {
    return new EntityKey(EntityType.ROUTE, new UUID(1, i));
  }

  private static JsonObject routeState(long version, int seq, UUID service, String path) {
    return new JsonObject().put("seq", seq + 10).put("changed_in", version).put("service_id", service.toString())
        .put("def", new JsonObject().put("name", "r" + seq).put("paths", List.of(path)));
  }

  /** The keys whose state (the object held) differs between {@code before} and {@code after}. */
  static Set<EntityKey> changed(Map<EntityKey, JsonObject> before, Map<EntityKey, JsonObject> after) {
    Set<EntityKey> keys = new HashSet<>();
    before.forEach((k, v) -> {
      if (after.get(k) != v) {
        keys.add(k);
      }
    });
    after.forEach((k, v) -> {
      if (before.get(k) != v) {
        keys.add(k);
      }
    });
    return keys;
  }
}
