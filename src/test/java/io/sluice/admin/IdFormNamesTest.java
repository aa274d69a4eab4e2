package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A service or route is referred to by name or id: a name of the form of an id is refused, and one stored
 * before (psql) never names another entity whose id it is, so a route read and put back stays where it was.
 */
@ExtendWith(VertxExtension.class)
class IdFormNamesTest {

  private static final String UUID_NAME = "3f2a6c1e-0b7d-4e59-9a41-2c8d5e7f9b10";

  private Backend backend;
  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.response().end("ok"));
    api = new AdminApi(vertx, """
        format_version: 1
        services:
          - name: orders
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: orders, service: orders, paths: ["/orders"]}
        """.formatted(backend.port()));
  }

  @AfterEach
  void stop() {
    api.close();
    backend.close();
  }

  private JsonArray targets() {
    return new JsonArray().add(new JsonObject().put("address", "127.0.0.1:" + backend.port()));
  }

  private static void refusedAt(String field, Http.Reply r) {
    assertEquals(400, r.status(), r.text());
    JsonArray fields = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
    assertEquals(List.of(field), fields.stream().map(f -> ((JsonObject) f).getString("field")).toList(), r.text());
    assertTrue(fields.getJsonObject(0).getString("reason").contains("cannot have the form of an id"), r.text());
  }

  @Test
  void a_service_or_route_name_of_the_form_of_an_id_is_refused_through_the_api_and_config() {
    refusedAt("name", api.post("/services", new JsonObject().put("name", UUID_NAME).put("targets", targets())));
    refusedAt("name", api.post("/routes", new JsonObject().put("name", UUID_NAME.toUpperCase()).put("service", "orders")));
    JsonObject svc = new JsonObject(api.get("/services").text()).getJsonArray("data").getJsonObject(0);
    refusedAt("name", api.patch("/services/" + svc.getString("id"), new JsonObject().put("name", UUID_NAME),
        svc.getLong("version")));

    Http.Reply file = api.call(HttpMethod.PUT, "/config", new JsonObject().put("format_version", 1)
        .put("services", new JsonArray().add(new JsonObject().put("name", UUID_NAME).put("targets", targets())))
        .put("routes", new JsonArray().add(new JsonObject().put("name", "r").put("service", UUID_NAME))), Map.of());
    refusedAt("services[0].name", file);
    assertEquals(0, api.db.queryLong("select count(*) from services where name = '" + UUID_NAME + "'"));
  }

  @Test
  void a_stored_service_named_after_another_services_id_never_names_that_other_service() {
    String ordersId = api.db.queryString("select id from services where name = 'orders'");
    JsonObject legacy = api.create("/services", new JsonObject().put("name", "legacy").put("targets", targets()));
    api.db.transaction("update services set name = '" + ordersId + "' where id = '" + legacy.getString("id") + "'");
    JsonObject route = api.create("/routes", new JsonObject().put("name", "r").put("service", legacy.getString("id"))
        .put("paths", new JsonArray().add("/legacy")));
    JsonObject read = new JsonObject(api.get("/routes/" + route.getString("id")).text());
    assertEquals(ordersId, read.getString("service"), "answered by its (id-like) name");

    Http.Reply back = api.put("/routes/" + route.getString("id"), read, read.getLong("version"));
    assertEquals(400, back.status(), back.text());
    assertTrue(back.text().contains("\"field\":\"service\"") && back.text().contains("rename that service"),
        back.text());
    assertEquals(legacy.getString("id"), api.db.queryString("select service_id from routes where name = 'r'"),
        "a GET put back does not move the route to the service whose id is that name");
  }
}
