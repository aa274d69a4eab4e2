package io.sluice.admin;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A write whose reference is deleted while it is made (found, then gone before its foreign key could hold it):
 * answered as a reference that never existed, 400 naming the field, never 409 {@code in_use}.
 */
@ExtendWith(VertxExtension.class)
class VanishedReferenceTest {

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
    api.create("/services", new JsonObject().put("name", "doomed").put("tenant", "default")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "127.0.0.1:9"))));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void a_route_created_while_its_service_is_deleted_is_400_naming_service() throws Exception {
    JsonObject route = new JsonObject().put("name", "late").put("service", "doomed")
        .put("paths", new JsonArray().add("/late"));
    Http.Reply never = api.post("/routes", route.copy().put("service", "never"));
    assertEquals(400, never.status(), never.text());
    JsonArray neverFields = new JsonObject(never.text()).getJsonObject("error").getJsonArray("fields");

    try (Connection deleter = api.db.jdbc(); Statement st = deleter.createStatement()) {
      deleter.setAutoCommit(false);
      st.execute("delete from services where name = 'doomed'");
      // The create finds the service (its delete is not committed) and waits on its row to insert the route.
      CompletableFuture<Http.Reply> created = CompletableFuture.supplyAsync(() -> api.post("/routes", route));
      eventually("the create waits on the deleted service's row", () -> api.db.queryLong(
          "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
              + " and query like '%insert into routes%'")
          == 1);
      deleter.commit();
      Http.Reply r = created.get();
      assertEquals(400, r.status(), r.text());
      JsonObject error = new JsonObject(r.text()).getJsonObject("error");
      assertEquals("invalid", error.getString("code"));
      JsonArray fields = error.getJsonArray("fields");
      assertEquals(1, fields.size(), fields.encode());
      assertEquals("service", fields.getJsonObject(0).getString("field"));
      assertEquals("no service 'doomed'", fields.getJsonObject(0).getString("reason"));
      assertEquals(neverFields.getJsonObject(0).getString("reason").replace("never", "doomed"),
          fields.getJsonObject(0).getString("reason"), "the same answer as a service that never existed");
    }
    assertEquals(0, api.db.queryLong("select count(*) from routes where name = 'late'"));
  }
}
