package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.credential.ApiKeys;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.sluice.testing.CapturedLogs;

/** Consumers and their API keys: shown once, stored as an HMAC digest only. */
@ExtendWith(VertxExtension.class)
class ConsumerKeysTest {

  private AdminApi api;

  @BeforeEach
  void start(Vertx vertx) {
    api = new AdminApi(vertx, TestNode.simpleRoutes(null, 9));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void consumers_round_trip_and_names_are_unique_per_tenant() {
    JsonObject tenant = api.create("/tenants", new JsonObject().put("name", "acme"));
    api.create("/tenants", new JsonObject().put("name", "other"));
    JsonObject c = api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "alice"));
    assertEquals("acme", c.getString("tenant"));
    String uri = "/consumers/" + c.getString("id");
    assertEquals(c, new JsonObject(api.get(uri).text()));
    Http.Reply put = api.put(uri, new JsonObject().put("tenant", "acme").put("username", "alice")
        .put("custom_id", "A-1"), 1);
    assertEquals(200, put.status(), put.text());
    assertEquals("A-1", new JsonObject(put.text()).getString("custom_id"));
    assertEquals(409, api.post("/consumers", new JsonObject().put("tenant", "acme").put("username", "alice"))
        .status());
    api.create("/consumers", new JsonObject().put("tenant", "other").put("username", "alice"));
    assertEquals(1, new JsonObject(api.get("/consumers?tenant=acme").text()).getJsonArray("data").size());
    assertEquals(409, api.delete("/tenants/" + tenant.getString("id")).status(), "a consumer refers to it");
    Http.Reply missing = api.post("/consumers", new JsonObject().put("tenant", "nope").put("extra", 1));
    assertEquals(400, missing.status());
    assertEquals(3, new JsonObject(missing.text()).getJsonObject("error").getJsonArray("fields").size(),
        "extra, username and tenant");
    assertEquals(204, api.delete(uri).status());
  }

  @Test
  void an_api_key_is_shown_once_and_stored_only_as_its_digest() throws Exception {
    // Everything Sluice and Vert.x log while the key is made and read, at every level.
    try (CapturedLogs logs = CapturedLogs.of(Level.TRACE, "io.sluice", "io.vertx")) {
      keyLifecycle(logs);
    }
  }

  private void keyLifecycle(CapturedLogs logs) throws Exception {
    api.create("/tenants", new JsonObject().put("name", "acme"));
    JsonObject c = api.create("/consumers", new JsonObject().put("tenant", "acme").put("username", "bob"));
    String keys = "/consumers/" + c.getString("id") + "/keys";
    Http.Reply created = api.post(keys, null);
    assertEquals(201, created.status(), created.text());
    assertTrue(Long.parseLong(created.header("Sluice-Config-Version")) > 0);
    JsonObject body = new JsonObject(created.text());
    String key = body.getString("key");
    assertTrue(key.startsWith("sk_") && key.length() >= 3 + 22, "prefix and at least 128 bits: " + key.length());
    assertEquals(key.substring(0, 11), body.getString("prefix"));

    Http.Reply list = api.get(keys);
    assertEquals(200, list.status());
    assertFalse(list.text().contains(key));
    JsonObject listed = new JsonObject(list.text()).getJsonArray("data").getJsonObject(0);
    assertNull(listed.getString("key"));
    assertEquals(body.getString("prefix"), listed.getString("prefix"));
    Http.Reply one = api.get(keys + "/" + body.getString("id"));
    assertEquals(200, one.status());
    assertFalse(one.text().contains(key));

    byte[] digest;
    try (Connection conn = api.db.jdbc(); Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("select * from credentials")) {
      ResultSetMetaData md = rs.getMetaData();
      assertTrue(rs.next());
      for (int i = 1; i <= md.getColumnCount(); i++) {
        Object v = rs.getObject(i);
        String text = v instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
            + HexFormat.of().formatHex(b) : String.valueOf(v);
        assertFalse(text.contains(key.substring(3)), "column " + md.getColumnName(i) + " holds the key");
      }
      digest = rs.getBytes("key_digest");
    }
    assertArrayEquals(ApiKeys.digest(key, "test-hmac-secret"), digest);
    assertTrue(ApiKeys.matches(key, digest, "test-hmac-secret"));
    assertFalse(ApiKeys.matches(key + "x", digest, "test-hmac-secret"));
    assertFalse(ApiKeys.matches(key, digest, ""), "another secret, another digest");
    assertFalse(logs.events().isEmpty(), "the capture saw the node's logging at all");
    for (ILoggingEvent e : logs.events()) {
      assertFalse(e.getFormattedMessage().contains(key.substring(3)), "the key was logged: " + e);
    }

    assertEquals(409, api.delete("/consumers/" + c.getString("id")).status(), "its key refers to it");
    assertEquals(204, api.delete(keys + "/" + body.getString("id")).status());
    assertEquals(404, api.delete(keys + "/" + body.getString("id")).status());
    assertEquals(204, api.delete("/consumers/" + c.getString("id")).status());
    assertEquals(404, api.post("/consumers/" + c.getString("id") + "/keys", null).status());
  }
}
