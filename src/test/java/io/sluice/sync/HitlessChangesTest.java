package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.sluice.metrics.Meters;
import io.sluice.testing.Gateway;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The small version of the hitless-change run (bench/hitless.sh is the 10,000-route one): two nodes over
 * 2,000 routes under steady traffic on routes that do not change, while routes are added, changed and
 * deleted with SQL several times a second. Not one request to an unchanged route may fail.
 */
class HitlessChangesTest {

  private static final int ROUTES = 2_000;
  private static final int STEADY = 1_000;  // routes /h/0 .. /h/999 never change
  private static final int CHANGES = 40;

  private final Vertx vertx = Vertx.vertx();
  private Gateway gw;

  @AfterEach
  void close() {
    if (gw != null) {
      gw.close();
    }
    vertx.close().await();
  }

  @Test
  void changes_several_times_a_second_never_fail_a_request_to_an_unchanged_route() throws Exception {
    gw = new Gateway(vertx);
    gw.addNode();
    gw.db.transaction("insert into routes (name, service_id, paths) select 'h' || g, s.id, array['/h/' || g]"
        + " from services s, generate_series(0, " + (ROUTES - 1) + ") g where s.name = 'svc'");
    gw.awaitApplied(gw.db.configVersion());

    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(8));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    List<Future<Void>> loops = new ArrayList<>();
    for (TestNode node : gw.nodes) {
      for (int i = 0; i < 4; i++) {
        loops.add(loop(client, node.proxyPort(), running, ok, failures));
      }
    }

    for (int i = 0; i < CHANGES; i++) {
      int n = STEADY + ThreadLocalRandom.current().nextInt(ROUTES - STEADY);
      switch (i % 3) {
        case 0 -> gw.db.transaction("insert into routes (name, service_id, paths) select 'new" + i + "', id,"
            + " array['/new/" + i + "'] from services where name = 'svc'");
        case 1 -> gw.db.transaction("update routes set paths = array['/moved/" + i + "'], strip_path = true"
            + " where name = 'h" + n + "'");
        default -> gw.db.transaction("delete from routes where name = 'h" + n + "'");
      }
      Thread.sleep(100);
    }
    gw.awaitApplied(gw.db.configVersion());
    running.set(false);
    Future.all(loops).await();
    client.close().await();

    assertEquals(Map.of(), failures, "answers other than 200 on unchanged routes (status: count)");
    assertTrue(ok.get() > 200, "steady traffic flowed during the changes: " + ok.get());
    for (TestNode node : gw.nodes) {
      Timer builds = node.node().registry().find(Meters.CONFIG_BUILD).timer();
      assertTrue(builds != null && builds.count() > 0, "route-table builds are measured");
      assertTrue(builds.count() <= CHANGES + 3, "never more builds than changes: " + builds.count());
    }
  }

  /**
   * Requests one after the other to random unchanged routes until {@code running} ends. Each request starts from
   * the previous one's completion callback and the loop ends by completing one promise: a chain of futures, one
   * per request, would unwind recursively at the end and overflow the stack once enough requests flowed.
   */
  private Future<Void> loop(HttpClient client, int port, AtomicBoolean running, AtomicInteger ok,
                            Map<String, Integer> failures) {
    Promise<Void> done = Promise.promise();
    next(client, port, running, ok, failures, done);
    return done.future();
  }

  private void next(HttpClient client, int port, AtomicBoolean running, AtomicInteger ok,
                    Map<String, Integer> failures, Promise<Void> done) {
    if (!running.get()) {
      done.complete();
      return;
    }
    String uri = "/h/" + ThreadLocalRandom.current().nextInt(STEADY) + "/x";
    client.request(HttpMethod.GET, port, "127.0.0.1", uri)
        .compose(req -> req.send().compose(resp -> resp.body().map(resp.statusCode())))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() == 200) {
            ok.incrementAndGet();
          } else {
            failures.merge(ar.succeeded() ? String.valueOf(ar.result()) : ar.cause().toString(), 1, Integer::sum);
          }
          next(client, port, running, ok, failures, done);
        });
  }
}
