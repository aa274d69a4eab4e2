package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A consumer group written with psql that a file refuses ({@code admin, root}: a comma inside one name; a group
 * twice): the export answers 409 {@code stored_config_invalid} naming the consumer and the field, rather than a
 * 200 file {@code PUT /config} refuses with a 400 at a place of a file the operator never wrote; a rollback to a
 * version that held it is refused the same way, naming the row, and changes nothing.
 */
@ExtendWith(VertxExtension.class)
class ExportStoredGroupsTest {

  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: echo
            targets: [{address: "127.0.0.1:9"}]
        routes:
          - {name: first, service: echo, paths: ["/first"]}
        """);
    api.create("/tenants", new JsonObject().put("name", "acme"));
    api.create("/consumers", new JsonObject().put("tenant", "default").put("username", "alice"));
    api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "carol")
        .put("groups", new JsonArray().add("gold")));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private static Map<String, JsonObject> refusedFields(Http.Reply r) {
    assertEquals(409, r.status(), r.text());
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals("stored_config_invalid", error.getString("code"), r.text());
    assertTrue(error.getString("message").contains("consumer 'acme/carol'"), r.text());
    return error.getJsonArray("fields").stream().map(JsonObject.class::cast)
        .collect(Collectors.toMap(f -> f.getString("field"), f -> f));
  }

  @Test
  void an_export_refuses_a_group_a_file_refuses_naming_the_consumer() {
    api.db.transaction("update consumers set groups = array['gold', 'admin, root'] where username = 'carol'");
    for (String accept : new String[] {"application/json", "application/yaml"}) {
      Map<String, JsonObject> fields = refusedFields(api.call(io.vertx.core.http.HttpMethod.GET, "/config", null,
          Map.of("Accept", accept)));
      JsonObject group = fields.get("consumers[0].groups[1]");
      assertEquals("consumer", group.getString("entity"), fields.toString());
      assertEquals("acme/carol", group.getString("name"));
      assertEquals(1, fields.size(), fields.toString());
    }

    api.db.transaction("update consumers set groups = array['gold', 'gold'] where username = 'carol'");
    Map<String, JsonObject> fields = refusedFields(api.get("/config"));
    assertTrue(fields.keySet().stream().allMatch(f -> f.startsWith("consumers[0].groups")), fields.toString());

    api.db.transaction("update consumers set groups = '{gold}' where username = 'carol'");
    assertEquals(200, api.get("/config").status());
  }

  @Test
  void a_rollback_to_a_version_holding_such_a_group_names_the_row_and_applies_nothing() {
    api.db.transaction("update consumers set groups = array['gold', 'admin, root'] where username = 'carol'");
    long bad = api.db.configVersion();
    assertEquals(200, api.patch("/consumers/" + carolId(), new JsonObject().put("groups", new JsonArray()
        .add("silver")), carolVersion()).status());
    long fixed = api.db.configVersion();

    Map<String, JsonObject> fields = refusedFields(api.get("/config?version=" + bad));
    assertEquals("acme/carol", fields.get("consumers[0].groups[1]").getString("name"), fields.toString());

    Http.Reply rollback = api.post("/config/rollback?to=" + bad, null);
    fields = refusedFields(rollback);
    JsonObject group = fields.get("consumers[0].groups[1]");
    assertEquals("consumer", group.getString("entity"), fields.toString());
    assertEquals("acme/carol", group.getString("name"));
    assertTrue(new JsonObject(rollback.text()).getJsonObject("error").getString("message")
        .contains("version " + bad), rollback.text());
    assertEquals(fixed, api.db.configVersion(), "nothing applied");
  }

  @Test
  void a_rollback_of_changes_that_never_touched_such_a_consumer_applies_and_leaves_it_alone() {
    api.create("/plugins", new JsonObject().put("name", "cors").put("scope", "consumer").put("consumer", carolId())
        .put("config", new JsonObject()));
    api.db.transaction("update consumers set groups = array['gold', 'admin, root'] where username = 'carol'");
    long bad = api.db.configVersion();
    api.create("/routes", new JsonObject().put("name", "second").put("service", "echo")
        .put("paths", new JsonArray().add("/second")));
    api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "dave"));

    Http.Reply dry = api.post("/config/rollback?to=" + bad + "&dry_run=true", null);
    assertEquals(200, dry.status(), dry.text());
    Http.Reply rollback = api.post("/config/rollback?to=" + bad, null);
    assertEquals(200, rollback.status(), rollback.text());
    assertEquals(0, api.db.queryLong("select count(*) from routes where name = 'second'"), "the route rolled back");
    assertEquals(0, api.db.queryLong("select count(*) from consumers where username = 'dave'"));
    assertEquals("{gold,\"admin, root\"}", api.db.queryString("select groups::text from consumers"
        + " where username = 'carol'"), "carol left as she was, never written");
    assertEquals(1, api.db.queryLong("select count(*) from plugins where scope = 'consumer'"), "her plugin too");

    // Her row changed since: rolling back to the bad version would write it back, and names her.
    long before = api.db.configVersion();
    api.patch("/consumers/" + carolId(), new JsonObject().put("groups", new JsonArray().add("silver")),
        carolVersion());
    Map<String, JsonObject> fields = refusedFields(api.post("/config/rollback?to=" + bad, null));
    assertEquals("acme/carol", fields.get("consumers[0].groups[1]").getString("name"), fields.toString());
    assertEquals(before + 1, api.db.configVersion(), "nothing applied");
  }

  private String carolId() {
    return api.db.queryString("select id::text from consumers where username = 'carol'");
  }

  private long carolVersion() {
    return api.db.queryLong("select version from consumers where username = 'carol'");
  }
}
