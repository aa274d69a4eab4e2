package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Http;
import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The resources without a usable store: file mode, and PostgreSQL gone while the node runs. */
@ExtendWith(VertxExtension.class)
class AdminStoreStatesTest {

  @Test
  void file_mode_answers_503_store_disabled(Vertx vertx) {
    Http http = new Http(vertx);
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9))) {
      for (String uri : new String[] {"/tenants", "/routes/x", "/consumers/x/keys"}) {
        Http.Reply r = http.get(node.adminPort(), uri);
        assertEquals(503, r.status(), uri);
        JsonObject error = new JsonObject(r.text()).getJsonObject("error");
        assertEquals("store_disabled", error.getString("code"));
        assertTrue(error.getString("message").contains("pg.url"));
      }
    }
  }

  @Test
  void writes_answer_503_at_once_while_postgres_is_unreachable(Vertx vertx) {
    Http http = new Http(vertx);
    TestDatabase db = TestDatabase.create();
    TcpProxy pg = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    String url = "postgresql://" + TestDatabase.USER + "@127.0.0.1:" + pg.port() + "/" + db.name();
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9), Map.of("SLUICE_PG_URL", url))) {
      pg.close();
      long start = System.nanoTime();
      Http.Reply r = http.call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
          .setPort(node.adminPort()).setURI("/tenants").putHeader("Content-Type", "application/json"),
          Buffer.buffer("{\"name\":\"x\"}"));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(503, r.status(), r.text());
      assertEquals("store_unavailable", new JsonObject(r.text()).getJsonObject("error").getString("code"));
      assertTrue(ms < 3_000, "answered in " + ms + " ms");
    } finally {
      db.close();
    }
  }
}
