package io.sluice.sync;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.route.LiveRoutes;
import io.sluice.route.RouteBuilder;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Not a test: times one node's build of a BENCH_ROUTES-route configuration (assembly, then the route table)
 * after one route changed, phase by phase, so that an optimisation removes what actually costs. Run with
 * {@code java -cp target/classes:target/test-classes:$(deps) io.sluice.sync.BuildProfile} (under JFR too).
 */
public final class BuildProfile {

  private static final String SVC = "00000000-0000-0000-0000-000000000001";

  public static void main(String[] args) throws java.io.IOException {
    int n = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUTES", "10000"));
    int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "30"));
    Map<EntityKey, JsonObject> held = new HashMap<>();
    EntityKey svc = new EntityKey(EntityType.SERVICE, UUID.fromString(SVC));
    held.put(svc, new JsonObject().put("seq", 0).put("changed_in", 1).put("def", new JsonObject().put("name", "svc")
        .put("targets", List.of(new JsonObject().put("address", "127.0.0.1:8080")))));
    EntityKey[] routes = new EntityKey[n];
    for (int i = 0; i < n; i++) {
      routes[i] = new EntityKey(EntityType.ROUTE, UUID.randomUUID());
      held.put(routes[i], route(i, "/r/" + i, 2));
    }
    Assembly assembly = new Assembly();
    RouteBuilder builder = new RouteBuilder(new LiveRoutes(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> null);
    LocalSnapshot snapshot = new LocalSnapshot(java.nio.file.Files.createTempDirectory("build-profile").resolve("s"),
        DatabaseIdentity.of("localhost", 5432, "profile"));
    for (int round = 0; round < rounds; round++) {
      int i = round % n;
      held.put(routes[i], route(i, "/moved/" + round, 3 + round));
      long t0 = System.nanoTime();
      Assembly.Result a = assembly.assemble(held);
      long t1 = System.nanoTime();
      builder.apply(a.config(), a.plugins(), a.tenantIds());
      long t2 = System.nanoTime();
      long t3 = t2;
      if (round % 10 == 9) {
        snapshot.write(round, new HashMap<>(held));
        t3 = System.nanoTime();
      }
      System.out.printf("round %d: assemble %.1f ms, route table %.1f ms, snapshot %.1f ms%n", round, (t1 - t0) / 1e6,
          (t2 - t1) / 1e6, (t3 - t2) / 1e6);
    }
    // The patch (what the applier does for a change of routes alone): one route changed, then one added.
    for (int round = 0; round < rounds; round++) {
      int i = round % n;
      EntityKey key = round % 2 == 0 ? routes[i] : new EntityKey(EntityType.ROUTE, UUID.randomUUID());
      held.put(key, route(round % 2 == 0 ? i : n + round, "/patched/" + round, 1_000 + round));
      if (round % 2 == 1) {
        held.put(key, held.get(key).put("seq", n + 1 + round));
      }
      long t0 = System.nanoTime();
      AssemblyPatch.Patch p = AssemblyPatch.patch(assembly, java.util.Set.of(key), held);
      long t1 = System.nanoTime();
      List<?> refused = p == null ? null : builder.patch(p.result().config(), p.removed(), p.upserted());
      long t2 = System.nanoTime();
      System.out.printf("patch %d (%s): assembly %.2f ms, route table %.2f ms%n", round, p == null || refused == null
          ? "not patched" : round % 2 == 0 ? "changed" : "added", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }
  }

  private static JsonObject route(int i, String path, long version) {
    return new JsonObject().put("seq", i + 1).put("changed_in", version).put("service_id", SVC)
        .put("def", new JsonObject().put("name", "r" + i).put("paths", List.of(path)));
  }
}
