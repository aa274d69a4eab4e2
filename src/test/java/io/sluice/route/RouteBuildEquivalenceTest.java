package io.sluice.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.metrics.Meters;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyChain;
import io.sluice.policy.PolicyServices;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The incremental build (issue 19: unchanged routes, chains and plugin instances reused from the table
 * served) matches every request exactly as a full build of the same configuration does, after any sequence
 * of changes to services, routes, plugins and tenants, invalid ones included (a regex that does not compile,
 * a missing service, an unknown policy).
 */
class RouteBuildEquivalenceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MeterRegistry METERS = Meters.detached();
  private static final String[] PATHS = {"/", "/a", "/a/b", "=/a", "/a/{id}", "~/a/[0-9]+", "/b", "=/b/c",
      "~/(unclosed", "/b/{x}/c"};
  private static final List<List<String>> HOSTS = List.of(List.of(), List.of("x.test"), List.of("*.test"),
      List.of("y.x.test", "z.test"));
  private static final String[] PROBE_PATHS = {"/", "/a", "/a/b", "/a/7", "/a/x", "/b", "/b/c", "/b/q/c", "/c"};
  private static final String[] PROBE_HOSTS = {null, "x.test", "y.x.test", "z.test", "other"};
  private static final String[][] POLICIES = {{"correlation-id", "{}"}, {"cors", "{}"},
      {"rate-limiting", "{\"second\": 5}"}, {"rate-limiting", "{\"second\": 7}"}, {"request-size-limiting", "{}"},
      {"no-such-policy", "{}"}};
  private static final String[] SCOPES = {"global", "service", "route", "consumer"};

  private static Vertx vertx;
  private static PolicyServices services;

  @BeforeContainer
  static void start() {
    vertx = Vertx.vertx();
    services = new PolicyServices(vertx, (ConsumerDirectory) null, METERS, () -> 1, "s", "redis://127.0.0.1:6379",
        100, 1000);
  }

  /** Steps patched over every try: a test of the patch must patch. */
  private static final java.util.concurrent.atomic.AtomicInteger PATCHED = new java.util.concurrent.atomic.AtomicInteger();

  @AfterContainer
  static void stop() {
    services.close();
    vertx.close().await();
    assertTrue(PATCHED.get() > 100, "steps patched: " + PATCHED.get());
  }

  /** A configuration changed at random, step by step. */
  private static final class Model {
    final Random random;
    final Map<String, ServiceDef> services = new LinkedHashMap<>();
    final Map<String, RouteDef> routes = new LinkedHashMap<>();
    final Map<String, PluginDef> plugins = new LinkedHashMap<>();
    final Map<String, String> tenantIds = new TreeMap<>();

    Model(long seed) {
      random = new Random(seed);
    }

    void change() {
      switch (random.nextInt(4)) {
        case 0 -> {
          String name = "s" + random.nextInt(3);
          if (random.nextInt(5) == 0) {
            services.remove(name);
          } else {
            services.put(name, service(name, 9000 + random.nextInt(3), random.nextBoolean() ? null : "/base"));
          }
          if (random.nextInt(4) == 0) {
            tenantIds.put(name, "t" + random.nextInt(2));
          }
        }
        case 1, 2 -> {
          String name = "r" + random.nextInt(12);
          if (random.nextInt(5) == 0) {
            routes.remove(name);
          } else {
            List<String> paths = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
              paths.add(PATHS[random.nextInt(PATHS.length)]);
            }
            routes.put(name, new RouteDef(name, "s" + random.nextInt(3), HOSTS.get(random.nextInt(HOSTS.size())),
                paths, random.nextInt(3) == 0 ? List.of("GET") : List.of(),
                random.nextInt(4) == 0 ? Map.of("x-v", List.of("1")) : Map.of(), random.nextBoolean(), false,
                random.nextInt(3) == 0 ? 1 : 0));
          }
        }
        default -> {
          String id = "p" + random.nextInt(8);
          if (random.nextInt(5) == 0) {
            plugins.remove(id);
          } else {
            String[] policy = POLICIES[random.nextInt(POLICIES.length)];
            String scope = SCOPES[random.nextInt(SCOPES.length)];
            PluginDef p = new PluginDef(id, policy[0], scope, scope.equals("service") ? "s" + random.nextInt(3) : null,
                scope.equals("route") ? "r" + random.nextInt(12) : null,
                scope.equals("consumer") ? "c" + random.nextInt(2) : null, json(policy[1]));
            plugins.put(id, random.nextInt(8) == 0 ? p.refused("refused by the node") : p);
          }
        }
      }
    }

    /**
     * A route changed as the sync applier patches: a new one (a name not in use, after every route), one
     * changed in place (its name and place kept), or one deleted; the names go to {@code removed} or the
     * definitions to {@code upserted} (a later change of the same route replaces the earlier in its place, so
     * that new routes are listed in the configuration's order, as AssemblyPatch lists them; a new route of a
     * name deleted in the same step stays in {@code removed}, as there).
     */
    void changeRoute(java.util.Set<String> removed, List<RouteDef> upserted) {
      List<String> names = new ArrayList<>(routes.keySet());
      int what = names.isEmpty() ? 0 : random.nextInt(3);
      String name = what == 0 ? "n" + random.nextInt(1_000_000) : names.get(random.nextInt(names.size()));
      if (what == 0 && routes.containsKey(name)) {
        return;
      }
      int at = -1;
      for (int i = 0; i < upserted.size(); i++) {
        if (upserted.get(i).name().equals(name)) {
          at = i;
        }
      }
      if (what == 2) {
        if (at >= 0) {
          upserted.remove(at);
        }
        routes.remove(name);
        removed.add(name);
        return;
      }
      RouteDef def = route(name);
      routes.put(name, def);
      if (at >= 0) {
        upserted.set(at, def);
      } else {
        upserted.add(def);
      }
    }

    private RouteDef route(String name) {
      List<String> paths = new ArrayList<>();
      for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
        paths.add(PATHS[random.nextInt(PATHS.length)]);
      }
      return new RouteDef(name, "s" + random.nextInt(3), HOSTS.get(random.nextInt(HOSTS.size())),
          paths, random.nextInt(3) == 0 ? List.of("GET") : List.of(),
          random.nextInt(4) == 0 ? Map.of("x-v", List.of("1")) : Map.of(), random.nextBoolean(), false,
          random.nextInt(3) == 0 ? 1 : 0);
    }

    GatewayConfig config() {
      return new GatewayConfig(1, List.copyOf(services.values()), List.copyOf(routes.values()));
    }
  }

  @Property(tries = 60)
  void an_incremental_build_matches_as_a_full_build(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int steps) {
    Model model = new Model(seed);
    RouteBuilder incremental = builder();
    for (int step = 0; step < steps; step++) {
      for (int i = 0, n = 1 + model.random.nextInt(3); i < n; i++) {
        model.change();
      }
      GatewayConfig config = model.config();
      List<PluginDef> plugins = List.copyOf(model.plugins.values());
      List<Rejection> got = incremental.apply(config, plugins, model.tenantIds);
      RouteBuilder full = builder();
      List<Rejection> want = full.apply(config, plugins, model.tenantIds, true);
      assertEquals(want, got, "rejections at step " + step);
      assertSameAnswers(table(full), table(incremental), step);
    }
  }

  /**
   * The patch (issue 19: only the routes that changed are built, the index copied on write) matches as a full
   * build after any sequence of route changes (added after every route, changed in place, deleted), with a
   * service or plugin change now and then (built whole, as the applier does), and never changes the table
   * it was built from (requests in flight keep theirs).
   */
  @Property(tries = 60)
  void a_patched_table_matches_as_a_full_build(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int steps) {
    Model model = new Model(seed);
    for (int i = 0; i < 3; i++) {
      model.services.put("s" + i, service("s" + i, 9000 + i, null));
    }
    for (int i = 0; i < 10; i++) {
      model.change();
    }
    RouteBuilder incremental = builder();
    incremental.apply(model.config(), List.copyOf(model.plugins.values()), model.tenantIds);
    int patched = 0;
    for (int step = 0; step < steps; step++) {
      RouteTable before = incremental.routes();
      List<String> beforeAnswers = table(incremental);
      java.util.Set<String> removed = new java.util.HashSet<>();
      List<RouteDef> upserted = new ArrayList<>();
      boolean whole = model.random.nextInt(6) == 0;
      if (whole) {
        model.change();
      } else {
        for (int i = 0, n = 1 + model.random.nextInt(3); i < n; i++) {
          model.changeRoute(removed, upserted);
        }
      }
      GatewayConfig config = model.config();
      List<PluginDef> plugins = List.copyOf(model.plugins.values());
      List<Rejection> got = whole ? null : incremental.patch(config, removed, upserted);
      if (got == null) {
        assertSame(before, incremental.routes(), "a refused patch changes nothing");
        got = incremental.apply(config, plugins, model.tenantIds);
      } else {
        patched++;
        assertEquals(beforeAnswers, answers(before, incremental), "the table patched is unchanged at step " + step);
      }
      RouteBuilder full = builder();
      List<Rejection> want = full.apply(config, plugins, model.tenantIds, true);
      assertEquals(want, got, "rejections at step " + step);
      assertSameAnswers(table(full), table(incremental), step);
    }
    PATCHED.addAndGet(patched);
  }

  @Example
  void applying_the_same_configuration_again_reuses_every_route_and_plugin() {
    Model model = new Model(42);
    for (int i = 0; i < 40; i++) {
      model.change();
    }
    model.plugins.values().removeIf(p -> p.name().equals("no-such-policy"));
    RouteBuilder builder = builder();
    builder.apply(model.config(), List.copyOf(model.plugins.values()), model.tenantIds);
    RouteTable before = builder.routes();
    Map<String, Policy> instances = builder.chains().instances();
    builder.apply(model.config(), List.copyOf(model.plugins.values()), model.tenantIds);
    assertTrue(before.size() > 0, "the model has routes");
    for (RouteDef r : model.config().routes()) {
      assertSame(before.route(r.name()), builder.routes().route(r.name()), r.name());
    }
    builder.chains().instances().forEach((id, p) -> assertSame(instances.get(id), p, id));
    builder.apply(model.config(), List.copyOf(model.plugins.values()), model.tenantIds, true);
    model.config().routes().stream().filter(r -> before.route(r.name()) != null).forEach(r ->
        assertTrue(before.route(r.name()) != builder.routes().route(r.name()), "a full build makes " + r.name()));
  }

  /** The first answer that differs, alone (the whole table would bury it). */
  private static void assertSameAnswers(List<String> want, List<String> got, int step) {
    for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
      assertEquals(want.get(i), got.get(i), "at step " + step);
    }
    assertEquals(want.size(), got.size(), "answers at step " + step);
  }

  private static RouteBuilder builder() {
    return new RouteBuilder(new LiveRoutes(), METERS, () -> services);
  }

  /** What the table answers to every probe, in words that do not depend on object identity. */
  private static List<String> table(RouteBuilder builder) {
    return answers(builder.routes(), builder);
  }

  private static List<String> answers(RouteTable table, RouteBuilder builder) {
    Map<Policy, String> ids = new IdentityHashMap<>();
    builder.chains().instances().forEach((id, p) -> ids.put(p, id));
    List<String> out = new ArrayList<>();
    out.add("size " + table.size());
    table.upstreams().stream().map(RouteBuildEquivalenceTest::upstream).sorted().forEach(out::add);
    for (String method : new String[] {"GET", "POST"}) {
      for (String host : PROBE_HOSTS) {
        for (String path : PROBE_PATHS) {
          for (MultiMap headers : new MultiMap[] {MultiMap.caseInsensitiveMultiMap(),
              MultiMap.caseInsensitiveMultiMap().add("x-v", "1")}) {
            RouteMatch m = table.match(method, host, path, headers);
            out.add(method + " " + host + path + " " + headers.size() + " -> " + (m == null ? "none"
                : m.route().name() + " " + m.kind() + " " + m.matchedLength() + " " + m.upstreamPath(path) + " "
                + m.route().def() + " " + upstream(m.route().upstream()) + " " + chain(m.route().policies(), ids)));
          }
        }
      }
    }
    return out;
  }

  private static String upstream(io.sluice.upstream.Upstream u) {
    return u.name() + " " + u.basePath() + " " + u.tenant() + "/" + u.tenantId() + " "
        + u.targets().stream().map(io.sluice.upstream.Target::address).toList();
  }

  private static String chain(PolicyChain chain, Map<Policy, String> ids) {
    if (chain == null) {
      return "no chain";
    }
    StringBuilder b = new StringBuilder(chain.tenant());
    for (int i = 0; i < chain.names().size(); i++) {
      PolicyChain.Slot s = chain.slot(i);
      Map<String, String> consumers = new TreeMap<>();
      s.byConsumer().forEach((c, p) -> consumers.put(c, ids.get(p)));
      b.append(' ').append(s.name()).append(':').append(s.priority()).append(':')
          .append(s.common() == null ? "-" : ids.get(s.common())).append(consumers);
    }
    return b.toString();
  }

  private static ServiceDef service(String name, int port, String path) {
    JsonNode def = json("{\"name\": \"" + name + "\", \"targets\": [{\"address\": \"127.0.0.1:" + port + "\"}]"
        + (path == null ? "" : ", \"path\": \"" + path + "\"") + "}");
    return DeclarativeConfig.service(def);
  }

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
