package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.bus.ConfigChanged;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node that misses a ConfigChanged event (lost on the bus, or published while it was joining) applies the
 * next one only after closing the gap: it waits for the missing version, then reloads the whole configuration
 * from the cluster maps (never from PostgreSQL), and serves what the lost event carried.
 */
@ExtendWith(VertxExtension.class)
class GapReloadTest {

  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  private JsonObject route(String name) {
    return new JsonObject().put("name", name).put("service", "svc").put("paths", new JsonArray().add("/" + name));
  }

  @Test
  void a_dropped_event_is_made_good_by_a_reload_from_the_cluster_maps() {
    long dropped = gw.db.configVersion() + 1;
    AtomicInteger drops = new AtomicInteger();
    gw.node().node().vertx().eventBus().addInboundInterceptor(delivery -> {
      if (delivery.message().body() instanceof ConfigChanged e && e.version() == dropped) {
        drops.incrementAndGet(); // lost: never delivered to the applier
        return;
      }
      delivery.next();
    });

    // Written through the admin API without waiting: its event is the one dropped.
    Http.Reply lost = gw.http.call(new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.POST)
        .setHost("127.0.0.1").setPort(gw.node().adminPort()).setURI("/routes")
        .putHeader("Authorization", "Bearer " + Gateway.TOKEN).putHeader("Content-Type", "application/json"),
        io.vertx.core.buffer.Buffer.buffer(route("lost").encode()));
    assertEquals(201, lost.status(), lost.text());
    assertEquals(dropped, Long.parseLong(lost.header("Sluice-Config-Version")));

    gw.create("/routes", route("after")); // waits until the node applied its version (after the reload)
    assertTrue(drops.get() >= 1, "the interceptor saw the event it dropped");
    assertEquals(dropped + 1, gw.node().node().appliedVersion());
    assertFalse(gw.node().node().recentlyApplied().contains(dropped),
        "the dropped version was never applied on its own: the reload jumped over it");
    assertEquals(200, gw.get("/lost/x").status(), "what the dropped event carried is served");
    assertEquals(200, gw.get("/after/x").status());
  }
}
