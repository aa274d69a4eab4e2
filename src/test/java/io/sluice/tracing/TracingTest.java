package io.sluice.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** W3C trace context to the upstreams and the spans of a request and its attempts (in-memory exporter). */
@ExtendWith(VertxExtension.class)
class TracingTest {

  private Vertx vertx;
  private Http http;
  private TestNode node;
  private Backend backend;
  private Tracing tracing;
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final List<String> traceparents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    http = new Http(vertx);
    backend = Backend.start(vertx, req -> {
      traceparents.add(String.valueOf(req.getHeader("traceparent")));
      req.response().end("ok");
    });
    node = TestNode.start(TestNode.simpleRoutes("retries: 0", backend.port()));
  }

  @AfterEach
  void stop() {
    Tracing.uninstall(tracing);
    node.close();
    backend.close();
  }

  private void trace(double ratio) {
    tracing = new Tracing(exporter, ratio, Tracing.QUEUE_SIZE, java.time.Duration.ofMillis(20));
    Tracing.install(tracing);
  }

  private SpanData span(SpanKind kind) {
    return exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).findFirst().orElseThrow();
  }

  @Test
  void a_request_without_trace_context_gets_one_and_the_attempt_is_a_child_of_the_request() {
    trace(1.0);
    assertEquals(200, http.get(node.proxyPort(), "/x").status());
    io.sluice.testing.Eventually.eventually("both spans exported", () -> exporter.getFinishedSpanItems().size() == 2);
    SpanData server = span(SpanKind.SERVER);
    SpanData attempt = span(SpanKind.CLIENT);
    assertEquals(server.getTraceId(), attempt.getTraceId());
    assertEquals(server.getSpanId(), attempt.getParentSpanId(), "the attempt is the request's child");
    assertTrue(!server.getParentSpanContext().isValid(), "a new trace: the request span is its root");
    assertEquals("GET all", server.getName());
    assertEquals(200L, server.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey(
        "http.response.status_code")));
    // Flags: sampled (01), and random trace id (02, W3C trace context level 2) for a trace made here.
    assertTrue(traceparents.get(0).matches("00-" + attempt.getTraceId() + "-" + attempt.getSpanId() + "-0[13]"),
        "the target's parent is the attempt span: " + traceparents.get(0));
  }

  @Test
  void a_client_trace_is_continued_and_its_sampling_decision_followed() {
    trace(0.0);
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/x")
        .putHeader("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").putHeader("tracestate", "vendor=1"));
    assertEquals(200, r.status());
    io.sluice.testing.Eventually.eventually("both spans exported", () -> exporter.getFinishedSpanItems().size() == 2);
    SpanData server = span(SpanKind.SERVER);
    assertEquals(traceId, server.getTraceId());
    assertEquals("00f067aa0ba902b7", server.getParentSpanId(), "the client's span is the request's parent");
    assertEquals("00-" + traceId + "-" + span(SpanKind.CLIENT).getSpanId() + "-01", traceparents.get(0));
    assertEquals("vendor=1", backend.seen.get(0).getHeader("tracestate"));

    // Not sampled by the ratio (0): nothing exported, but the target still gets a new trace context.
    exporter.reset();
    assertEquals(200, http.get(node.proxyPort(), "/y").status());
    assertTrue(traceparents.get(1).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[02]"), traceparents.get(1));
    tracing.export().flush().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
    assertEquals(0, exporter.getFinishedSpanItems().size());
  }

  @Test
  void a_client_trace_not_sampled_is_continued_without_spans() {
    trace(1.0); // the client's decision wins over the ratio
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Http.Reply r = http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/x")
        .putHeader("traceparent", "00-" + traceId + "-00f067aa0ba902b7-00").putHeader("tracestate", "vendor=1"));
    assertEquals(200, r.status());
    assertTrue(traceparents.get(0).matches("00-" + traceId + "-[0-9a-f]{16}-00"), traceparents.get(0));
    assertTrue(!traceparents.get(0).contains("00f067aa0ba902b7"), "the attempt has a span id of its own");
    assertEquals("vendor=1", backend.seen.get(0).getHeader("tracestate"));
    tracing.export().flush().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
    assertEquals(0, exporter.getFinishedSpanItems().size(), "not sampled: no span built or exported");
  }

  @Test
  void tracing_off_adds_nothing() {
    assertEquals(200, http.get(node.proxyPort(), "/x").status());
    assertEquals("null", traceparents.get(0), "no traceparent is made up while tracing is off");
    assertNull(Tracing.begin(null, "all", "svc"), "off: begin is a null check");
  }
}
