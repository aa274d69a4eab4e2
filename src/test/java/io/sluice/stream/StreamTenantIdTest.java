package io.sluice.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stream keys tenants by id (issue 17 item 9): a service moved to another tenant feeds the new owner's
 * stream from the next request, and a tenant deleted and created again under the same name reads none of
 * the old one's records.
 */
@ExtendWith(VertxExtension.class)
class StreamTenantIdTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  @Timeout(120)
  void a_moved_service_and_a_recreated_tenant_never_read_another_tenants_records(Vertx vertx) throws Exception {
    try (StreamEnv env = new StreamEnv(vertx)) {
      TestNode node = env.node();
      try {
        String acmeToken = env.token(node, "acme");
        String acmeId = tenantId(env, node, "acme");
        assertEquals(200, env.request(node, "/a/x", "old-1"));
        StreamClient client = new StreamClient(vertx);
        StreamClient.Sub acme = client.connect(node.node().streamPort(), "from=earliest", acmeToken);
        JsonObject rec = acme.records(1, WAIT).get(0).getJsonObject("record");
        assertEquals("old-1", rec.getString("request_id"));
        assertEquals(acmeId, rec.getString("tenant_id"), "records carry the tenant's id");
        assertEquals("acme", rec.getString("tenant"));

        // svc-a moves to globex: the next request is globex's record, not acme's.
        apply(env, node, env.routes.replace("tenant: acme", "tenant: globex"));
        String globexToken = env.token(node, "globex");
        StreamClient.Sub globex = client.connect(node.node().streamPort(), "from=latest", globexToken);
        Thread.sleep(500);
        assertEquals(200, env.request(node, "/a/x", "moved-1"));
        assertEquals("moved-1", globex.records(1, WAIT).get(0).getJsonObject("record").getString("request_id"));
        assertNull(acme.next(Duration.ofSeconds(2)), "acme gets no record of a service it no longer owns");
        acme.close();
        globex.close();

        // acme is deleted, then created again under the same name: the new acme has none of the old records.
        assertEquals(204, env.admin(node, HttpMethod.DELETE, "/tenants/" + acmeId, null).status());
        apply(env, node, env.routes);
        String newAcmeId = tenantId(env, node, "acme");
        org.junit.jupiter.api.Assertions.assertNotEquals(acmeId, newAcmeId);
        assertEquals(200, env.request(node, "/a/x", "new-1"));
        StreamClient.Sub fresh = client.connect(node.node().streamPort(), "from=earliest", env.token(node, "acme"));
        List<JsonObject> frames = fresh.records(1, WAIT);
        assertEquals("new-1", frames.get(0).getJsonObject("record").getString("request_id"),
            "the first record of the new acme is its own, not the old acme's old-1");
        assertNull(fresh.next(Duration.ofSeconds(2)));
        fresh.close();
      } finally {
        node.close();
      }
    }
  }

  private static String tenantId(StreamEnv env, TestNode node, String name) {
    for (Object o : new JsonObject(env.admin(node, HttpMethod.GET, "/tenants?limit=1000", null).text())
        .getJsonArray("data")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("name").equals(name)) {
        return t.getString("id");
      }
    }
    throw new AssertionError("no tenant " + name);
  }

  /** PUT /config (YAML) and wait until the node serves it. */
  private static void apply(StreamEnv env, TestNode node, String yaml) {
    Http.Reply r = env.http.call(new io.vertx.core.http.RequestOptions().setMethod(HttpMethod.PUT)
        .setHost("127.0.0.1").setPort(node.adminPort()).setURI("/config?wait=true")
        .putHeader("Authorization", "Bearer " + StreamEnv.ADMIN_TOKEN).putHeader("Content-Type", "application/yaml"),
        io.vertx.core.buffer.Buffer.buffer(yaml));
    assertEquals(200, r.status(), r.text());
  }
}
