package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.sluice.testing.Http;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** A node in PostgreSQL mode with an admin token, and JSON calls to its admin API. */
final class AdminApi implements AutoCloseable {

  static final String TOKEN = "test-admin-token";

  final TestDatabase db;
  final TestNode node;
  final Http http;

  AdminApi(Vertx vertx, String routesYaml) {
    db = TestDatabase.migrated();
    http = new Http(vertx);
    String url = db.url();
    node = TestNode.start(routesYaml, Map.of("SLUICE_PG_URL", url, "SLUICE_ADMIN_TOKEN", TOKEN,
        "SLUICE_KEYS_HMAC_SECRET", "test-hmac-secret"));
  }

  Http.Reply call(HttpMethod method, String uri, Object body, Map<String, String> headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + TOKEN);
    headers.forEach(o::putHeader);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    return http.call(o, body == null ? null : Buffer.buffer(body.toString()));
  }

  Http.Reply get(String uri) {
    return call(HttpMethod.GET, uri, null, Map.of());
  }

  Http.Reply post(String uri, Object body) {
    return call(HttpMethod.POST, uri, body, Map.of());
  }

  Http.Reply put(String uri, Object body, long ifMatch) {
    return call(HttpMethod.PUT, uri, body, Map.of("If-Match", "\"" + ifMatch + "\""));
  }

  Http.Reply patch(String uri, Object body, long ifMatch) {
    return call(HttpMethod.PATCH, uri, body, Map.of("If-Match", String.valueOf(ifMatch)));
  }

  Http.Reply delete(String uri) {
    return call(HttpMethod.DELETE, uri, null, Map.of());
  }

  /** Creates and checks the 201: Location, Sluice-Config-Version, the entity's id and version 1. */
  JsonObject create(String collection, JsonObject body) {
    Http.Reply r = post(collection, body);
    assertEquals(201, r.status(), r.text());
    JsonObject e = new JsonObject(r.text());
    assertEquals(collection + "/" + e.getString("id"), r.header("Location"));
    assertNotNull(r.header("Sluice-Config-Version"));
    assertEquals(1, e.getLong("version"));
    return e;
  }

  static long configVersion(Http.Reply r) {
    return Long.parseLong(r.header("Sluice-Config-Version"));
  }

  @Override
  public void close() {
    node.close();
    db.close();
  }
}
