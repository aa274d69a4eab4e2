package io.sluice.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.testing.Eventually;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/** Spans of the policies' Redis calls under the request's span, and the trace id in a request's log lines. */
@ExtendWith(VertxExtension.class)
class TracingStoreTest {

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private Tracing tracing;
  private Gateway gw;
  private TestNode node;

  @BeforeEach
  void trace() {
    tracing = new Tracing(exporter, 1.0, Tracing.QUEUE_SIZE, java.time.Duration.ofMillis(20));
    Tracing.install(tracing);
  }

  @AfterEach
  void stop() {
    Tracing.uninstall(tracing);
    if (gw != null) {
      gw.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private SpanData named(String name) {
    return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void the_rate_limiters_redis_call_is_a_child_span_of_the_request(Vertx vertx) {
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", "redis://127.0.0.1:6379"));
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 1000).put("policy", "redis")
        .put("limit_by", "ip"));
    gw.awaitApplied(gw.db.configVersion());
    assertEquals(200, gw.get("/api/x").status());
    Eventually.eventually("the request, its Redis call and its attempt exported",
        () -> exporter.getFinishedSpanItems().size() >= 3);
    SpanData server = exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.SERVER)
        .findFirst().orElseThrow();
    SpanData redis = named("rate-limiting redis");
    assertEquals(server.getTraceId(), redis.getTraceId());
    assertEquals(server.getSpanId(), redis.getParentSpanId(), "the Redis call is the request's child");
    assertEquals(SpanKind.CLIENT, redis.getKind());
    assertEquals("redis", redis.getAttributes().get(AttributeKey.stringKey("db.system")));
    SpanData attempt = exporter.getFinishedSpanItems().stream()
        .filter(s -> s.getName().startsWith("upstream attempt")).findFirst().orElseThrow();
    assertTrue(redis.getEndEpochNanos() <= attempt.getStartEpochNanos(),
        "the policy ran before the attempt");
  }

  @Test
  void the_proxy_caches_redis_lookup_is_a_child_span_of_the_request(Vertx vertx) {
    io.sluice.testing.RedisServer redis = io.sluice.testing.RedisServer.start();
    try {
      gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url()));
      gw.plugin("proxy-cache", "api", new JsonObject());
      gw.awaitApplied(gw.db.configVersion());
      assertEquals(200, gw.get("/api/x").status());
      Eventually.eventually("the request and its cache lookup exported", () -> exporter.getFinishedSpanItems()
          .stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
      SpanData server = exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.SERVER)
          .findFirst().orElseThrow();
      SpanData lookup = named("proxy-cache redis");
      assertEquals(server.getSpanId(), lookup.getParentSpanId(), "the cache lookup is the request's child");
      assertEquals("redis", lookup.getAttributes().get(AttributeKey.stringKey("db.system")));
    } finally {
      gw.close();
      gw = null;
      redis.close();
    }
  }

  @Test
  void a_log_line_about_a_request_carries_its_trace_id(Vertx vertx) {
    Logger log = (Logger) LoggerFactory.getLogger("io.sluice.proxy.Exchange");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    Level before = log.getLevel();
    log.setLevel(Level.DEBUG);
    log.addAppender(lines);
    try {
      node = TestNode.start(TestNode.simpleRoutes("retries: 0", 1)); // nothing listens on port 1: 502
      Http.Reply r = new Http(vertx).get(node.proxyPort(), "/x");
      assertEquals(502, r.status(), r.text());
      Eventually.eventually("the request's span exported", () -> exporter.getFinishedSpanItems().stream()
          .anyMatch(s -> s.getKind() == SpanKind.SERVER));
      SpanData server = exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.SERVER)
          .findFirst().orElseThrow();
      ILoggingEvent line = lines.list.stream().filter(e -> e.getMessage().startsWith("answered with an error"))
          .findFirst().orElseThrow(() -> new AssertionError("no error line: " + lines.list));
      String fields = Arrays.toString(line.getArgumentArray());
      assertTrue(fields.contains("trace_id=" + server.getTraceId()), fields);
      assertTrue(fields.contains("request_id="), fields);
    } finally {
      log.detachAppender(lines);
      log.setLevel(before);
    }
  }
}
