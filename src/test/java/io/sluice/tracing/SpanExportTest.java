package io.sluice.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sluice.testing.Eventually;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sampled spans' export off the event loop: batches, the delay, a full queue, and the spans' data. */
class SpanExportTest {

  private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("io.sluice.proxy");
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private SpanExport export;

  @AfterEach
  void stop() {
    if (export != null) {
      export.shutdown();
    }
  }

  private static RecordedSpan.Server request(long id) {
    return new RecordedSpan.Server(1, 2, id, null, "GET", "/x", "all", "svc");
  }

  @Test
  void a_full_batch_goes_out_at_once_and_a_partial_one_after_the_delay_or_a_flush() throws Exception {
    export = new SpanExport(exporter, Resource.empty(), SCOPE, 4096, Duration.ofHours(1));
    for (int i = 1; i <= SpanExport.BATCH + 1; i++) {
      request(i).end(export);
    }
    Eventually.eventually("a full batch exported", () -> exporter.getFinishedSpanItems().size() == SpanExport.BATCH);
    Thread.sleep(300);
    assertEquals(SpanExport.BATCH, exporter.getFinishedSpanItems().size(), "the last span waits for the delay");
    export.flush().get(10, TimeUnit.SECONDS);
    assertEquals(SpanExport.BATCH + 1, exporter.getFinishedSpanItems().size());

    SpanExport soon = new SpanExport(exporter, Resource.empty(), SCOPE, 16, Duration.ofMillis(50));
    try {
      request(1000).end(soon);
      Eventually.eventually("a partial batch after the delay",
          () -> exporter.getFinishedSpanItems().size() == SpanExport.BATCH + 2);
    } finally {
      soon.shutdown();
    }
  }

  @Test
  void a_batch_filled_partly_before_the_thread_waits_goes_out_once_full() throws Exception {
    export = new SpanExport(exporter, Resource.empty(), SCOPE, 4096, Duration.ofHours(1));
    for (int i = 1; i <= 100; i++) {
      request(i).end(export);
    }
    // The export thread takes these 100 into its batch and waits (the delay is an hour); the rest make it full.
    Thread.sleep(200);
    for (int i = 101; i <= SpanExport.BATCH; i++) {
      request(i).end(export);
    }
    Eventually.eventually("the full batch exported without waiting for the delay",
        () -> exporter.getFinishedSpanItems().size() == SpanExport.BATCH);
  }

  @Test
  void spans_beyond_a_full_queue_are_dropped_and_counted_and_the_queued_ones_exported_at_shutdown()
      throws Exception {
    CountDownLatch exporting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SpanExporter stuck = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        exporting.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return exporter.export(spans);
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    export = new SpanExport(stuck, Resource.empty(), SCOPE, 4, Duration.ofMillis(1));
    request(1).end(export);
    assertTrue(exporting.await(10, TimeUnit.SECONDS), "the first span's export started");
    for (int i = 2; i <= 8; i++) { // the exporter holds the thread: 4 fit in the queue, 3 do not
      request(i).end(export);
    }
    assertEquals(3, export.dropped());
    release.countDown();
    export.shutdown();
    export = null;
    assertEquals(5, exporter.getFinishedSpanItems().size(), "the queued spans go out before the thread stops");
  }

  @Test
  void a_span_data_has_the_ids_parent_epoch_times_status_and_attributes_recorded() {
    SpanContext client = SpanContext.createFromRemoteParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
        TraceFlags.getSampled(), TraceState.builder().put("vendor", "1").build());
    RecordedSpan.Server server = new RecordedSpan.Server(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0xabcL, client,
        "POST", "/orders", "orders", "shop");
    RecordedSpan.Upstream attempt = new RecordedSpan.Upstream(server, 0xdefL, "10.0.0.1:80", 2);
    attempt.status = 502;
    attempt.error = "";
    attempt.endNanos = System.nanoTime();
    server.status = 502;
    server.endNanos = System.nanoTime();
    long offset = System.currentTimeMillis() * 1_000_000 - System.nanoTime();

    SpanData s = server.toSpanData(Resource.empty(), SCOPE, offset);
    assertEquals("POST orders", s.getName());
    assertEquals(SpanKind.SERVER, s.getKind());
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", s.getTraceId());
    assertEquals("0000000000000abc", s.getSpanId());
    assertEquals(client, s.getParentSpanContext(), "the client's span is the parent");
    assertEquals("1", s.getSpanContext().getTraceState().get("vendor"), "the client's tracestate goes on");
    assertEquals(StatusCode.UNSET, s.getStatus().getStatusCode(), "the status is only set where the code sets it");
    assertEquals(502L, s.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
    assertEquals("/orders", s.getAttributes().get(AttributeKey.stringKey("url.path")));
    long now = System.currentTimeMillis() * 1_000_000;
    assertTrue(Math.abs(now - s.getStartEpochNanos()) < 60_000_000_000L, "epoch nanoseconds: " + s);
    assertTrue(s.getEndEpochNanos() >= s.getStartEpochNanos());

    SpanData a = attempt.toSpanData(Resource.empty(), SCOPE, offset);
    assertEquals("upstream attempt 2", a.getName());
    assertEquals(SpanKind.CLIENT, a.getKind());
    assertEquals(s.getTraceId(), a.getTraceId());
    assertEquals(s.getSpanId(), a.getParentSpanId());
    assertEquals(StatusCode.ERROR, a.getStatus().getStatusCode());
    assertEquals(2L, a.getAttributes().get(AttributeKey.longKey("sluice.attempt")));
    assertEquals("10.0.0.1:80", a.getAttributes().get(AttributeKey.stringKey("server.address")));
  }
}
