package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A number no field can hold ({@code 1e400}, {@code 1e9999999999}, ...) is 400 naming its field, in an entity's
 * body (operator or tenant token) and in a {@code PUT /config} file (JSON or YAML): never a 500, never an ERROR line.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminNumberRangeTest {

  /** Out of a long's range, or beyond what an exact decimal holds (a 500 each, before). */
  private static final List<String> OUT_OF_RANGE = List.of("1e400", "-1e400", "1e9999999999", "1e-9999999999",
      "-1e99999999999", "1" + "0".repeat(2000), "9223372036854775808");

  private Gateway gw;
  private String tenantToken;

  @BeforeAll
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    tenantToken = gw.create("/admin-tokens", new JsonObject().put("role", "tenant").put("tenant", "acme"))
        .getString("token");
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private static List<String> fields(Http.Reply r) {
    List<String> names = new ArrayList<>();
    JsonArray fields = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields");
    fields.forEach(f -> names.add(((JsonObject) f).getString("field")));
    return names;
  }

  private Http.Reply putConfig(String body, String contentType) {
    return gw.http.call(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1")
        .setPort(gw.node().adminPort()).setURI("/config?dry_run=true")
        .putHeader("Authorization", "Bearer " + Gateway.TOKEN).putHeader("Content-Type", contentType),
        Buffer.buffer(body));
  }

  @Test
  void a_number_out_of_range_in_an_entity_is_400_naming_the_field_for_either_token() {
    try (CapturedLogs logs = CapturedLogs.all()) {
      for (String n : OUT_OF_RANGE) {
        for (String token : List.of(Gateway.TOKEN, tenantToken)) {
          Http.Reply route = gw.adminAs(token, HttpMethod.POST, "/routes", "{\"name\": \"big\", \"service\": \"svc\","
              + " \"hosts\": [\"big.acme.test\"], \"paths\": [\"/big\"], \"priority\": " + n + "}");
          assertEquals(400, route.status(), n + ": " + route.text());
          assertEquals(List.of("priority"), fields(route), n);
          Http.Reply service = gw.adminAs(token, HttpMethod.POST, "/services", "{\"name\": \"big\", \"targets\":"
              + " [{\"address\": \"127.0.0.1:9\", \"weight\": " + n + "}]}");
          assertEquals(400, service.status(), n + ": " + service.text());
          assertEquals(List.of("targets[0].weight"), fields(service), n);
          assertTrue(service.text().contains("out of range"), service.text());
        }
      }
      assertEquals(List.of(), logs.atLeast(Level.ERROR));
    }
    assertEquals(404, gw.admin(HttpMethod.GET, "/routes/big", null).status(), "nothing written");
  }

  @Test
  void a_number_out_of_range_in_a_config_file_is_400_naming_the_field_in_json_and_yaml() {
    try (CapturedLogs logs = CapturedLogs.all()) {
      for (String n : OUT_OF_RANGE) {
        Http.Reply json = putConfig("{\"format_version\": " + n + "}", "application/json");
        assertEquals(400, json.status(), n + ": " + json.text());
        assertEquals(List.of("format_version"), fields(json), n);
        Http.Reply yaml = putConfig("format_version: " + n + "\n", "application/yaml");
        assertEquals(400, yaml.status(), n + ": " + yaml.text());
        assertEquals(List.of("format_version"), fields(yaml), n);
        Http.Reply weight = putConfig("format_version: 1\nservices:\n  - name: big\n    targets:\n"
            + "      - {address: \"127.0.0.1:9\", weight: " + n + "}\n", "application/yaml");
        assertEquals(400, weight.status(), n + ": " + weight.text());
        assertEquals(List.of("services[0].targets[0].weight"), fields(weight), n);
      }
      assertEquals(List.of(), logs.atLeast(Level.ERROR));
    }
    Http.Reply whole = putConfig("{\"format_version\": 1e0}", "application/json");
    assertEquals(200, whole.status(), "a whole-number float is still its integer: " + whole.text());
  }
}
