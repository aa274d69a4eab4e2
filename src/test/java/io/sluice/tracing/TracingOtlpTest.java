package io.sluice.tracing;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node started with {@code tracing.enabled} exports its spans over OTLP/HTTP (the real exporter, batched) to
 * a receiver inside the test, which reads the protobuf with {@link OtlpSpans}: the request's span and its
 * attempt's, parent and child, and the traceparent the target got naming the attempt.
 */
@ExtendWith(VertxExtension.class)
class TracingOtlpTest {

  private Vertx vertx;
  private Http http;
  private HttpServer receiver;
  private Backend backend;
  private TestNode node;
  private final List<JsonObject> spans = new CopyOnWriteArrayList<>();
  private final List<String> exports = new CopyOnWriteArrayList<>();
  private final List<String> traceparents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    http = new Http(vertx);
    // No h2c upgrade: the JDK's client (the exporter's sender) asks for one, and this receiver speaks HTTP/1.1.
    receiver = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)).requestHandler(req -> req.body().onSuccess(body -> {
      exports.add(req.method() + " " + req.path() + " " + req.getHeader("Content-Type"));
      spans.addAll(OtlpSpans.read(body.getBytes()));
      req.response().setStatusCode(200).putHeader("Content-Type", "application/x-protobuf").end();
    })).listen(0, "127.0.0.1").await();
    backend = Backend.start(vertx, req -> {
      traceparents.add(String.valueOf(req.getHeader("traceparent")));
      req.response().end("ok");
    });
    node = TestNode.start(TestNode.simpleRoutes("retries: 0", backend.port()), Map.of(
        "SLUICE_TRACING_ENABLED", "true",
        "SLUICE_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.actualPort() + "/v1/traces",
        "SLUICE_TRACING_SAMPLE_PER_MILLION", "1000000"));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    backend.close();
    receiver.close().await();
  }

  private JsonObject named(String prefix) {
    return spans.stream().filter(s -> s.getString("name").startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no span " + prefix + " in " + spans));
  }

  @Test
  void spans_reach_an_otlp_http_receiver_with_the_attempt_a_child_of_the_request() {
    assertEquals(200, http.get(node.proxyPort(), "/x").status());
    String clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    assertEquals(200, http.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/y")
        .putHeader("traceparent", "00-" + clientTrace + "-00f067aa0ba902b7-01")).status());
    eventually("four spans exported (the batch is sent within 5 s)", java.time.Duration.ofSeconds(15),
        () -> spans.size() >= 4);
    assertEquals("POST /v1/traces application/x-protobuf", exports.get(0));

    JsonObject request = spans.stream().filter(s -> "server".equals(s.getString("kind"))
        && !s.containsKey("parent_span_id")).findFirst().orElseThrow(() -> new AssertionError(spans.toString()));
    JsonObject attempt = spans.stream().filter(s -> "client".equals(s.getString("kind"))
        && request.getString("span_id").equals(s.getString("parent_span_id"))).findFirst()
        .orElseThrow(() -> new AssertionError("no attempt under " + request + ": " + spans));
    assertEquals("GET all", request.getString("name"));
    assertEquals("sluice", request.getString("service"));
    assertEquals(200L, request.getJsonObject("attributes").getLong("http.response.status_code"));
    assertEquals("/x", request.getJsonObject("attributes").getString("url.path"));
    assertEquals(request.getString("trace_id"), attempt.getString("trace_id"));
    assertEquals("upstream attempt 1", attempt.getString("name"));
    assertTrue(attempt.getJsonObject("attributes").getString("server.address").endsWith(":" + backend.port()));
    assertTrue(traceparents.get(0).startsWith("00-" + attempt.getString("trace_id") + "-"
        + attempt.getString("span_id") + "-"), "the target's parent is the attempt: " + traceparents.get(0));

    // The client's trace is continued: the request's span is the child of the client's span.
    JsonObject continued = spans.stream().filter(s -> clientTrace.equals(s.getString("trace_id"))
        && "server".equals(s.getString("kind"))).findFirst().orElseThrow(() -> new AssertionError(spans.toString()));
    assertEquals("00f067aa0ba902b7", continued.getString("parent_span_id"));
    JsonObject continuedAttempt = spans.stream().filter(s -> clientTrace.equals(s.getString("trace_id"))
        && "client".equals(s.getString("kind"))).findFirst().orElseThrow();
    assertEquals(continued.getString("span_id"), continuedAttempt.getString("parent_span_id"));
    assertEquals("00-" + clientTrace + "-" + continuedAttempt.getString("span_id") + "-01", traceparents.get(1));
    assertFalse(request.getDouble("duration_ms") < attempt.getDouble("duration_ms"),
        "the request lasts at least as long as its attempt");
    // What reached the receiver is counted; nothing was dropped or failed.
    eventually("the exported spans counted", java.time.Duration.ofSeconds(5),
        () -> metric("sluice_tracing_spans_exported_total") >= 4);
    assertEquals(0.0, metric("sluice_tracing_spans_dropped_total"));
    assertEquals(0.0, metric("sluice_tracing_spans_failed_total"));
  }

  @Test
  void spans_a_collector_refuses_are_counted_as_failed() {
    receiver.close().await();
    receiver = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
        .requestHandler(req -> req.response().setStatusCode(503).end("busy")).listen(0, "127.0.0.1").await();
    node.close();
    node = TestNode.start(TestNode.simpleRoutes("retries: 0", backend.port()), Map.of(
        "SLUICE_TRACING_ENABLED", "true",
        "SLUICE_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.actualPort() + "/v1/traces",
        "SLUICE_TRACING_SAMPLE_PER_MILLION", "1000000"));
    assertEquals(200, http.get(node.proxyPort(), "/x").status(), "a collector refusing spans costs no request");
    eventually("the refused spans counted as failed (the batch is sent within 5 s)", java.time.Duration.ofSeconds(15),
        () -> metric("sluice_tracing_spans_failed_total") >= 2);
    assertEquals(0.0, metric("sluice_tracing_spans_exported_total"));
  }

  @Test
  void tracing_is_turned_on_and_off_at_runtime_through_the_admin_api() {
    node.close();
    node = TestNode.start(TestNode.simpleRoutes("retries: 0", backend.port()), Map.of(
        "SLUICE_TRACING_ENABLED", "false",
        "SLUICE_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.actualPort() + "/v1/traces",
        "SLUICE_TRACING_SAMPLE_PER_MILLION", "0"));
    JsonObject state = new JsonObject(http.get(node.adminPort(), "/tracing").text());
    assertEquals(false, state.getBoolean("enabled"), state.encode());
    assertEquals(0L, state.getLong("sample_per_million"));
    assertEquals(200, http.get(node.proxyPort(), "/off").status());
    assertEquals("null", traceparents.get(traceparents.size() - 1), "off: no traceparent");

    Http.Reply on = put(new JsonObject().put("enabled", true).put("sample_per_million", 1_000_000));
    assertEquals(200, on.status(), on.text());
    assertEquals(true, new JsonObject(on.text()).getBoolean("enabled"));
    assertEquals(false, new JsonObject(on.text()).getJsonObject("settings").getBoolean("enabled"),
        "the settings are what a restart goes back to");
    assertEquals(200, http.get(node.proxyPort(), "/on").status());
    assertTrue(traceparents.get(traceparents.size() - 1).endsWith("-01"), "on, every request sampled: "
        + traceparents.get(traceparents.size() - 1));
    eventually("the span of the traced request exported", java.time.Duration.ofSeconds(15),
        () -> spans.stream().anyMatch(s -> "/on".equals(s.getJsonObject("attributes").getString("url.path"))));

    Http.Reply unsampled = put(new JsonObject().put("sample_per_million", 0));
    assertEquals(200, unsampled.status(), unsampled.text());
    assertEquals(200, http.get(node.proxyPort(), "/unsampled").status());
    assertTrue(traceparents.get(traceparents.size() - 1).endsWith("-00"), "on, nothing sampled: "
        + traceparents.get(traceparents.size() - 1));

    assertEquals(200, put(new JsonObject().put("enabled", false)).status());
    assertEquals(200, http.get(node.proxyPort(), "/off-again").status());
    assertEquals("null", traceparents.get(traceparents.size() - 1), "off again: no traceparent");

    for (JsonObject bad : List.of(new JsonObject().put("enabled", "yes"),
        new JsonObject().put("sample_per_million", 2_000_000), new JsonObject().put("sample_per_million", -1),
        new JsonObject().put("sample_per_million", 0.5), new JsonObject().put("ratio", 1), new JsonObject())) {
      Http.Reply r = put(bad);
      assertEquals(400, r.status(), bad + ": " + r.text());
      String field = new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields").getJsonObject(0)
          .getString("field");
      String expected = bad.isEmpty() ? "(body)" : bad.fieldNames().iterator().next();
      assertEquals(expected, field, r.text());
    }
    assertEquals(false, new JsonObject(http.get(node.adminPort(), "/tracing").text()).getBoolean("enabled"),
        "a refused change changes nothing");
  }

  private Http.Reply put(JsonObject body) {
    return http.call(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1").setPort(node.adminPort())
        .setURI("/tracing").putHeader("Content-Type", "application/json"), Buffer.buffer(body.encode()));
  }

  /** A counter's value in the node's /metrics (0 when it has no sample yet). */
  private double metric(String name) {
    for (String line : http.get(node.adminPort(), "/metrics").text().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }
}
