package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The configuration a node builds, checked entity by entity: one bad entity costs itself and its dependents. */
class AssemblyTest {

  private final Map<EntityKey, JsonObject> held = new HashMap<>();
  private final Assembly assembly = new Assembly();
  private long seq;

  private EntityKey service(String name, String address, long changedIn) {
    EntityKey key = new EntityKey(EntityType.SERVICE, UUID.randomUUID());
    held.put(key, new JsonObject().put("seq", ++seq).put("changed_in", changedIn).put("def", new JsonObject()
        .put("name", name).put("targets", List.of(new JsonObject().put("address", address)))));
    return key;
  }

  private EntityKey route(String name, EntityKey service, String path, long changedIn) {
    EntityKey key = new EntityKey(EntityType.ROUTE, UUID.randomUUID());
    held.put(key, new JsonObject().put("seq", ++seq).put("changed_in", changedIn)
        .put("service_id", service.id().toString())
        .put("def", new JsonObject().put("name", name).put("paths", List.of(path))));
    return key;
  }

  private EntityKey plugin(String name, EntityKey route, JsonObject config, long changedIn) {
    EntityKey key = new EntityKey(EntityType.PLUGIN, UUID.randomUUID());
    held.put(key, new JsonObject().put("seq", ++seq).put("changed_in", changedIn).put("id", key.id().toString())
        .put("name", name).put("scope", "route").put("route_id", route.id().toString()).put("config", config)
        .put("enabled", true));
    return key;
  }

  private static List<String> names(List<?> defs) {
    return defs.stream().map(d -> d instanceof RouteDef r ? r.name() : ((ServiceDef) d).name()).toList();
  }

  @Test
  void a_bad_route_is_left_out_with_its_plugins_and_everything_else_builds() {
    EntityKey svc = service("svc", "127.0.0.1:80", 1);
    route("good", svc, "/good", 2);
    EntityKey bad = route("bad", svc, "~/(unclosed", 3);
    EntityKey onBad = plugin("correlation-id", bad, new JsonObject(), 4);
    EntityKey good2 = route("good2", svc, "/good2", 4);
    plugin("correlation-id", good2, new JsonObject(), 4);

    Assembly.Result a = assembly.assemble(held);
    assertEquals(List.of("good", "good2"), names(a.config().routes()));
    assertEquals(1, a.plugins().size());
    assertEquals(2, a.rejected().size(), a.rejected().toString());
    Rejection route = a.rejected().get(0);
    assertEquals(new Rejection(EntityType.ROUTE, bad.id().toString(), "bad", route.reason(), 3, false), route);
    assertTrue(route.reason().startsWith("paths[0]: invalid regex"), route.reason());
    Rejection plugin = a.rejected().get(1);
    assertEquals(onBad.id().toString(), plugin.id());
    assertEquals("its route 'bad' is rejected", plugin.reason());
    assertEquals(4, plugin.version(), "the plugin's own write, later than its route's");
  }

  @Test
  void the_routes_and_plugins_of_a_bad_service_go_with_it_as_of_the_service_version() {
    EntityKey bad = service("bad", "127.0.0.1:99999", 7);
    EntityKey r = route("r", bad, "/r", 2);
    plugin("correlation-id", r, new JsonObject(), 3);
    EntityKey ok = service("ok", "127.0.0.1:81", 1);
    route("fine", ok, "/fine", 1);

    Assembly.Result a = assembly.assemble(held);
    assertEquals(List.of("ok"), names(a.config().services()));
    assertEquals(List.of("fine"), names(a.config().routes()));
    assertEquals(List.of("bad", "r", "correlation-id"), a.rejected().stream().map(Rejection::name).toList());
    assertEquals(List.of(7L, 7L, 7L), a.rejected().stream().map(Rejection::version).toList(),
        "a dependent is rejected as of its cause's write");
    assertTrue(a.rejected().get(0).reason().contains("port must be 1 to 65535"), a.rejected().get(0).reason());
  }

  @Test
  void an_entity_served_before_keeps_its_last_good_state_and_a_fix_clears_it() {
    EntityKey svc = service("svc", "127.0.0.1:80", 1);
    EntityKey r = route("r", svc, "/r", 1);
    EntityKey p = plugin("correlation-id", r, new JsonObject().put("header_name", "X-Corr"), 2);
    assertTrue(assembly.assemble(held).rejected().isEmpty());

    // Each write brings a new state (the applier never changes the objects it holds).
    held.put(p, held.get(p).copy().put("config", new JsonObject().put("header_name", 5)).put("changed_in", 3));
    held.put(r, held.get(r).copy().put("changed_in", 3));
    held.get(r).getJsonObject("def").put("paths", List.of("~("));
    Assembly.Result a = assembly.assemble(held);
    assertEquals(List.of("/r"), a.config().routes().get(0).paths(), "the route keeps its last good paths");
    assertEquals("X-Corr", a.plugins().get(0).config().get("header_name").asText());
    assertEquals(List.of(true, true), a.rejected().stream().map(Rejection::kept).toList());
    assertEquals(List.of(3L, 3L), a.rejected().stream().map(Rejection::version).toList());

    held.put(r, held.get(r).copy());
    held.get(r).getJsonObject("def").put("paths", List.of("/fixed"));
    held.put(p, held.get(p).copy().put("config", new JsonObject()));
    a = assembly.assemble(held);
    assertTrue(a.rejected().isEmpty(), a.rejected().toString());
    assertEquals(List.of("/fixed"), a.config().routes().get(0).paths());
  }

  @Test
  void an_unknown_policy_or_a_config_outside_its_schema_is_rejected() {
    EntityKey svc = service("svc", "127.0.0.1:80", 1);
    EntityKey r = route("r", svc, "/r", 1);
    plugin("no-such-policy", r, new JsonObject(), 5);
    plugin("correlation-id", r, new JsonObject().put("unknown", true), 6);
    Assembly.Result a = assembly.assemble(held);
    assertEquals(List.of("name: unknown policy 'no-such-policy'", "config.unknown: unknown key"),
        a.plugins().stream().map(io.sluice.config.PluginDef::refusal).toList(),
        "handed on as refused, so that their route answers 503 instead of running without them");
    assertEquals(List.of("name: unknown policy 'no-such-policy'", "config.unknown: unknown key"),
        a.rejected().stream().map(Rejection::reason).toList());
  }
}
