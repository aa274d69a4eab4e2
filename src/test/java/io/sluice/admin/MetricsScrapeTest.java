package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.sluice.testing.Eventually;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /metrics} gzipped for a client that accepts it (Prometheus does), and scrapes asked for while the same
 * one runs share it (ten scrapers at once cost one scrape of a 2-core node, not ten).
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsScrapeTest {

  private Gateway gw;
  private Vertx vertx;

  @BeforeAll
  void start(Vertx vertx) {
    this.vertx = vertx;
    gw = new Gateway(vertx);
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private static String gunzip(byte[] bytes) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void a_client_that_accepts_gzip_gets_the_same_exposition_gzipped() throws IOException {
    Http.Reply plain = gw.admin(HttpMethod.GET, "/metrics", null);
    Http.Reply zipped = gw.admin(HttpMethod.GET, "/metrics", null, "Accept-Encoding", "gzip, deflate");
    assertEquals(200, zipped.status());
    assertNull(plain.header("Content-Encoding"));
    assertEquals("gzip", zipped.header("Content-Encoding"));
    assertEquals("Accept-Encoding", zipped.header("Vary"));
    assertTrue(plain.header("Content-Type").startsWith("text/plain; version=0.0.4"), plain.header("Content-Type"));
    String text = gunzip(zipped.body().getBytes());
    assertTrue(text.contains("\nsluice_build_info{"), text);
    assertTrue(zipped.body().length() * 4 < text.length(), "gzip shrinks it: " + zipped.body().length() + " of "
        + text.length());
    Http.Reply refused = gw.admin(HttpMethod.GET, "/metrics?name[]=sluice_build_info", null,
        "Accept-Encoding", "gzip;q=0, identity");
    assertNull(refused.header("Content-Encoding"), "gzip;q=0 is a refusal");
    assertTrue(refused.text().contains("sluice_build_info{"), refused.text());
  }

  @Test
  void the_weight_of_gzip_in_accept_encoding_is_read() {
    assertTrue(MetricsRoute.acceptsGzip("gzip"));
    assertTrue(MetricsRoute.acceptsGzip("br;q=1.0, GZIP;q=0.5"));
    assertTrue(MetricsRoute.acceptsGzip("*"));
    assertFalse(MetricsRoute.acceptsGzip(null));
    assertFalse(MetricsRoute.acceptsGzip("identity"));
    assertFalse(MetricsRoute.acceptsGzip("gzip;q=0"));
    assertFalse(MetricsRoute.acceptsGzip("gzip; q=0.000"));
    assertFalse(MetricsRoute.acceptsGzip("gzipx"));
  }

  @Test
  void scrapes_asked_for_while_one_runs_share_it() throws Exception {
    // A gauge read by every scrape, held until the test lets it go: the first scrape waits in it while the others
    // are asked for.
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    Gauge gauge = Gauge.builder("test_scrape_held", () -> {
      reads.incrementAndGet();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 1.0;
    }).register(gw.node().node().registry());
    try {
      Http http = new Http(vertx);  // up to 32 connections: every scrape is sent at once
      List<Future<Http.Reply>> replies = new ArrayList<>();
      replies.add(http.send(scrape(), null));
      Eventually.eventually("the first scrape reads the gauge", () -> reads.get() == 1);
      for (int i = 0; i < 4; i++) {
        replies.add(http.send(scrape(), null));
      }
      Thread.sleep(300);  // the four asked for and waiting: none has an answer yet, nor started a scrape of its own
      assertEquals(1, reads.get(), "no second scrape while one runs");
      assertFalse(replies.stream().anyMatch(Future::isComplete), "all wait for the one under way");
      release.countDown();
      for (Future<Http.Reply> f : replies) {
        Http.Reply r = f.await();
        assertEquals(200, r.status());
        assertTrue(r.text().contains("test_scrape_held 1.0"), r.text());
      }
      assertEquals(1, reads.get(), "five answers, one scrape");
      assertTrue(gw.admin(HttpMethod.GET, "/metrics", null).text().contains("test_scrape_held"));
      assertEquals(2, reads.get(), "a scrape asked for after the shared one ended is a scrape of its own");
    } finally {
      release.countDown();
      gw.node().node().registry().remove(gauge);
    }
  }

  private RequestOptions scrape() {
    return new RequestOptions().setHost("127.0.0.1").setPort(gw.node().adminPort()).setURI("/metrics")
        .putHeader("Authorization", "Bearer " + Gateway.TOKEN);
  }
}
