package io.sluice.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A target given as a bracketed IPv6 literal is accepted and reached (a real backend bound to ::1). */
@ExtendWith(VertxExtension.class)
class Ipv6TargetTest {

  @Test
  void a_bracketed_ipv6_literal_target_is_served(Vertx vertx) throws Exception {
    AtomicReference<String> host = new AtomicReference<>();
    HttpServer backend = vertx.createHttpServer().requestHandler(req -> {
      host.set(req.getHeader("Host"));
      req.response().end("v6 " + req.path());
    }).listen(0, "::1").toCompletionStage().toCompletableFuture().get();
    try (Gateway gw = new Gateway(vertx)) {
      String address = "[::1]:" + backend.actualPort();
      JsonObject service = gw.create("/services", new JsonObject().put("name", "v6").put("retries", 0)
          .put("targets", new JsonArray().add(new JsonObject().put("address", address))));
      assertEquals(address, service.getJsonArray("targets").getJsonObject(0).getString("address"));
      gw.create("/routes", new JsonObject().put("name", "v6").put("service", "v6")
          .put("paths", new JsonArray().add("/v6")));
      Http.Reply r = gw.get("/v6/x");
      assertEquals(200, r.status(), r.text());
      assertEquals("v6 /v6/x", r.text());
      assertEquals(address, host.get(), "the Host header brackets the literal (RFC 9110 7.2)");

      Http.Reply bad = gw.admin(HttpMethod.POST, "/services", new JsonObject().put("name", "bad6")
          .put("targets", new JsonArray().add(new JsonObject().put("address", "[::zz]:80"))));
      assertEquals(400, bad.status(), bad.text());
      assertTrue(bad.text().contains("targets[0].address"), bad.text());
    } finally {
      backend.close();
    }
  }
}
