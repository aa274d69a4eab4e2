package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.PluginDef;
import io.sluice.config.RouteDef;
import io.sluice.credential.Consumer;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.credential.JwtCredential;
import io.sluice.policy.registry.ChainBuilder;
import io.sluice.policy.registry.Policies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chain of a route: every policy in its fixed priority order, the most specific scope winning. */
class PolicyOrderTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ConsumerDirectory NONE = new ConsumerDirectory() {
    @Override
    public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
      return Future.succeededFuture(Optional.empty());
    }

    @Override
    public Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer) {
      return Future.succeededFuture(Optional.empty());
    }
  };

  private Vertx vertx;
  private PolicyServices services;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    services = new PolicyServices(vertx, NONE, new SimpleMeterRegistry(), () -> 1, "s", "redis://127.0.0.1:6379",
        100, 1000);
  }

  @AfterEach
  void stop() {
    services.close();
    vertx.close().await();
  }

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static RouteDef route(String name) {
    return new RouteDef(name, "svc", List.of(), List.of("/"), List.of(), Map.of(), false, false, 0);
  }

  private static final Map<String, String> CONFIGS = Map.ofEntries(
      Map.entry("correlation-id", "{}"), Map.entry("cors", "{}"), Map.entry("ip-restriction", "{\"deny\": [\"10.0.0.0/8\"]}"),
      Map.entry("request-size-limiting", "{}"), Map.entry("jwt", "{}"), Map.entry("key-auth", "{}"),
      Map.entry("acl", "{\"allow\": [\"a\"]}"), Map.entry("rate-limiting", "{\"second\": 5}"),
      Map.entry("request-transformer", "{}"), Map.entry("response-transformer", "{}"),
      Map.entry("proxy-cache", "{}"));

  @Test
  void every_policy_runs_in_its_fixed_order_whatever_the_creation_order() {
    List<String> names = new ArrayList<>(CONFIGS.keySet());
    Collections.shuffle(names, new java.util.Random(7));
    List<PluginDef> plugins = new ArrayList<>();
    int i = 0;
    for (String n : names) {
      plugins.add(new PluginDef("p" + i++, n, "global", null, null, null, json(CONFIGS.get(n))));
    }
    PolicyChain chain = new ChainBuilder(plugins, services).chainFor(route("r"));
    assertEquals(List.of("correlation-id", "cors", "ip-restriction", "request-size-limiting", "jwt", "key-auth",
        "acl", "rate-limiting", "request-transformer", "response-transformer", "proxy-cache"), chain.names());
    assertEquals(Policies.all().keySet(), new java.util.HashSet<>(chain.names()), "every policy is in the order");
  }

  @Test
  void the_most_specific_scope_wins_and_routes_without_plugins_have_no_chain() {
    PluginDef global = new PluginDef("g", "rate-limiting", "global", null, null, null, json("{\"second\": 1}"));
    PluginDef service = new PluginDef("s", "rate-limiting", "service", "svc", null, null, json("{\"second\": 2}"));
    PluginDef onRoute = new PluginDef("r", "rate-limiting", "route", null, "a", null, json("{\"second\": 3}"));
    ChainBuilder b = new ChainBuilder(List.of(global, service, onRoute), services);
    assertEquals(List.of("rate-limiting"), b.chainFor(route("a")).names());
    assertNull(new ChainBuilder(List.of(onRoute), services).chainFor(route("b")), "nothing applies: no chain");
    ChainBuilder one = new ChainBuilder(List.of(global), services);
    assertSame(one.chainFor(route("a")).slot(0).common(), one.chainFor(route("b")).slot(0).common(),
        "one instance per plugin, shared by the routes it applies to");
  }

  @Test
  void a_plugin_that_cannot_be_built_fails_the_whole_build() {
    PluginDef bad = new PluginDef("x", "rate-limiting", "global", null, null, null, json("{\"second\": 0}"));
    assertThrows(IllegalArgumentException.class, () -> new ChainBuilder(List.of(bad), services));
    PluginDef unknown = new PluginDef("y", "no-such-policy", "global", null, null, null, json("{}"));
    assertThrows(IllegalArgumentException.class, () -> new ChainBuilder(List.of(unknown), services));
  }
}
