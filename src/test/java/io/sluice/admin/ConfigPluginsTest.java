package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plugins in the declarative file on real PostgreSQL: exported with their scope's target by name, and an
 * export applied again changes nothing; a file that changes, adds and removes plugins applies as one diffed
 * transaction (dry run first); one plugin whose config breaks its policy's schema refuses the whole file,
 * naming every failing field, and changes nothing; a rollback restores the plugins exactly (compared by export);
 * a tenant token's file carries no plugins, and its export no plugins key.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigPluginsTest {

  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  @Test
  void plugins_of_every_file_scope_export_apply_and_roll_back() {
    gw.plugin("cors", null, new JsonObject());
    gw.plugin("rate-limiting", "api", new JsonObject().put("minute", 5));
    gw.create("/plugins", new JsonObject().put("name", "correlation-id").put("scope", "service").put("service", "svc")
        .put("enabled", false));
    long before = gw.db.configVersion();
    String exported = export();
    JsonObject file = new JsonObject(exported);
    JsonArray plugins = file.getJsonArray("plugins");
    assertEquals(3, plugins.size(), exported);
    JsonObject limit = plugins.stream().map(p -> (JsonObject) p).filter(p -> p.getString("name").equals("rate-limiting"))
        .findFirst().orElseThrow();
    assertEquals(List.of("route", "api", 5, "consumer", true), List.of(limit.getString("scope"),
        limit.getString("route"), limit.getJsonObject("config").getInteger("minute"),
        limit.getJsonObject("config").getString("limit_by"), limit.getBoolean("enabled")),
        "target by name, the policy's defaults filled: " + exported);

    JsonObject again = apply(file, false);
    assertEquals(0, again.getJsonArray("changes").size(), "an export applied again is a no-op: " + again.encode());
    assertEquals(before, gw.db.configVersion());

    JsonObject changed = file.copy();
    JsonArray next = new JsonArray();
    changed.getJsonArray("plugins").forEach(p -> {
      JsonObject plugin = (JsonObject) p;
      if (plugin.getString("name").equals("rate-limiting")) {
        next.add(plugin.copy().put("config", new JsonObject().put("minute", 50)));
      } else if (!plugin.getString("name").equals("cors")) {
        next.add(plugin);
      }
    });
    next.add(new JsonObject().put("name", "request-size-limiting").put("scope", "route").put("route", "open")
        .put("config", new JsonObject()));
    changed.put("plugins", next);
    JsonObject dry = apply(changed, true);
    assertEquals(List.of(1L, 1L, 1L), List.of(dry.getLong("created"), dry.getLong("updated"), dry.getLong("deleted")),
        dry.encode());
    assertEquals(before, gw.db.configVersion(), "a dry run writes nothing");
    JsonObject done = apply(changed, false);
    assertEquals(dry.getJsonArray("changes"), done.getJsonArray("changes"));
    assertTrue(done.encode().contains("\"rate-limiting (route api)\""), done.encode());
    assertTrue(done.encode().contains("\"field\":\"config.minute\""), "the field diff: " + done.encode());
    assertEquals(0, apply(changed, false).getJsonArray("changes").size(), "a file without the defaults is a no-op too");
    assertEquals(0, apply(new JsonObject(export()), false).getJsonArray("changes").size());

    Http.Reply rolled = gw.admin(HttpMethod.POST, "/config/rollback?to=" + before, null);
    assertEquals(200, rolled.status(), rolled.text());
    assertEquals(exported, export(), "plugins exactly as they were (compared by export)");
  }

  @Test
  void one_plugin_breaking_its_schema_refuses_the_whole_file_naming_every_field() {
    JsonObject file = new JsonObject(export());
    String exported = file.encode();
    long version = gw.db.configVersion();
    file.getJsonArray("routes").getJsonObject(0).put("priority", 7);
    file.put("plugins", new JsonArray()
        .add(new JsonObject().put("name", "cors").put("scope", "global"))
        .add(new JsonObject().put("name", "rate-limiting").put("scope", "route").put("route", "api")
            .put("config", new JsonObject().put("minute", 0).put("limit_by", "moon")))
        .add(new JsonObject().put("name", "cors").put("scope", "service").put("service", "nope"))
        .add(new JsonObject().put("name", "cors").put("scope", "route").put("service", "svc")));
    Http.Reply r = gw.admin(HttpMethod.PUT, "/config", file.encode(), "Content-Type", "application/json");
    assertEquals(400, r.status(), r.text());
    JsonArray fields = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
    List<String> named = fields.stream().map(f -> ((JsonObject) f).getString("field")).sorted().toList();
    assertEquals(List.of("plugins[1].config.limit_by", "plugins[1].config.minute", "plugins[2].service",
        "plugins[3].route", "plugins[3].service"), named, r.text());
    assertEquals(version, gw.db.configVersion(), "nothing applied");
    assertEquals(exported, new JsonObject(export()).encode());
    assertFalse(r.text().contains("routes["), "the valid parts are not named: " + r.text());
  }

  @Test
  void a_tenant_tokens_file_with_plugins_is_refused_naming_them() {
    String tenant = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"))
        .getString("token");
    // An operator's plugin guards the tenant's route: an empty plugins list would read as "none does".
    String guard = gw.plugin("key-auth", "api", new JsonObject()).getString("id");
    Http.Reply own = null;
    try {
      for (String type : List.of("application/yaml", "application/json")) {
        own = gw.adminAs(tenant, HttpMethod.GET, "/config", null, "Accept", type);
        assertEquals(200, own.status(), own.text());
        assertFalse(own.text().contains("plugins"), "a tenant's part has no plugins key: " + own.text());
        Http.Reply again = gw.http.call(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1")
            .setPort(gw.node().adminPort()).setURI("/config?dry_run=true")
            .putHeader("Authorization", "Bearer " + tenant).putHeader("Content-Type", type), Buffer.buffer(own.text()));
        assertEquals(200, again.status(), again.text());
        assertEquals(new JsonArray(), new JsonObject(again.text()).getJsonArray("changes"), "applied back: no change");
      }
    } finally {
      assertEquals(204, gw.admin(HttpMethod.DELETE, "/plugins/" + guard, null).status());
    }
    JsonObject file = new JsonObject(own.text());
    long version = gw.db.configVersion();
    file.put("plugins", new JsonArray().add(new JsonObject().put("name", "cors").put("scope", "global")));
    Http.Reply r = gw.adminAs(tenant, HttpMethod.PUT, "/config", file.encode(), "Content-Type", "application/json");
    assertEquals(400, r.status(), r.text());
    assertEquals("plugins", new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0)
        .getString("field"), r.text());
    assertEquals(version, gw.db.configVersion(), "nothing applied");
  }

  private JsonObject apply(JsonObject file, boolean dryRun) {
    Http.Reply r = gw.admin(HttpMethod.PUT, "/config" + (dryRun ? "?dry_run=true" : ""), file.encode(),
        "Content-Type", "application/json");
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private String export() {
    Http.Reply r = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(200, r.status(), r.text());
    return r.text();
  }
}
