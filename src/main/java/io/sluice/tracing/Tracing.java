package io.sluice.tracing;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sluice.metrics.Meters;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * OpenTelemetry tracing of proxied requests: a server span per request (child of the client's
 * {@code traceparent} when it sent one) and a client span per upstream attempt, whose context goes to the
 * target as W3C {@code traceparent}/{@code tracestate}. Sampling follows the client's decision, else
 * {@code tracing.sample_per_million}; unsampled requests still carry a traceparent (created when absent).
 * A sampled request's spans are recorded as plain fields on the event loop and made into OpenTelemetry span data
 * and exported (OTLP) on a thread of their own: see {@link RecordedSpan} for why not with the SDK's tracer.
 *
 * <p>The proxy asks {@link #begin} once per request: while tracing is off that is one volatile read returning
 * null, and nothing else of tracing runs. One tracer per JVM (the nodes of one JVM share it: tests).
 */
public final class Tracing {

  private static volatile Tracing active;

  /** The header name with its hash computed once (Vert.x's AsciiString): asked of every request while on. */
  static final CharSequence TRACEPARENT = io.vertx.core.http.HttpHeaders.createOptimized("traceparent");
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<MultiMap> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(MultiMap carrier) {
      return carrier.names();
    }

    @Override
    public String get(MultiMap carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  /** The export queue's bound when none is set: the SDK's default. */
  static final int QUEUE_SIZE = 2048;

  private final SpanExport export;
  /** Requests sampled per million among those whose client decided nothing (changed at runtime: PUT /tracing). */
  private volatile long samplePerMillion;

  /** Spans to {@code exporter}, sampled at {@code ratio} when the client decided nothing. */
  public Tracing(SpanExporter exporter, double ratio) {
    this(exporter, ratio, QUEUE_SIZE, SpanExport.DELAY);
  }

  /** As above, with at most {@code queueSize} spans waiting and a partial batch exported after {@code delay}. */
  Tracing(SpanExporter exporter, double ratio, int queueSize, Duration delay) {
    this.samplePerMillion = Math.round(Math.max(0, Math.min(1, ratio)) * 1_000_000);
    Resource resource = Resource.getDefault().merge(Resource.builder().put("service.name", "sluice")
        .put("service.version", BuildInfo.current().version()).build());
    this.export = new SpanExport(exporter, resource, InstrumentationScopeInfo.create("io.sluice.proxy"), queueSize,
        delay);
  }

  /** OTLP/HTTP export, batched with a bounded queue (settings {@code tracing.*}). */
  public static Tracing otlp(NodeSettings.Tracing settings) {
    OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(settings.otlpEndpoint()).build();
    return new Tracing(exporter, settings.samplePerMillion() / 1_000_000.0, settings.queueSize(), SpanExport.DELAY);
  }

  /**
   * Counts this tracing's spans in {@code registry}: exported, failed to send, and dropped because the export queue
   * was full (the queue is bounded so that a slow collector costs spans, never memory).
   */
  public void bindMeters(MeterRegistry registry) {
    FunctionCounter.builder(Meters.TRACING_SPANS_EXPORTED, export, SpanExport::exported)
        .description("Spans the OTLP exporter accepted").register(registry);
    FunctionCounter.builder(Meters.TRACING_SPANS_FAILED, export, SpanExport::failed)
        .description("Spans of export requests that failed (the collector unreachable or refusing)").register(registry);
    FunctionCounter.builder(Meters.TRACING_SPANS_DROPPED, export, SpanExport::dropped)
        .description("Spans dropped because the export queue (tracing.queue_size) was full").register(registry);
  }

  /** Requests sampled per million among those whose client decided nothing. */
  public long samplePerMillion() {
    return samplePerMillion;
  }

  /** Samples {@code perMillion} of the requests whose client decided nothing, from the next request on. */
  public void samplePerMillion(long perMillion) {
    this.samplePerMillion = Math.max(0, Math.min(1_000_000, perMillion));
  }

  /** Flushes the spans still queued and stops the export thread (a node stopping). */
  public void shutdown() {
    export.shutdown();
  }

  /** The export of this tracing's spans (tests: flush, drops). */
  SpanExport export() {
    return export;
  }

  /** Makes {@code tracing} the one the proxy uses (null: off); the previous one is flushed and shut down. */
  public static void install(Tracing tracing) {
    Tracing before = active;
    active = tracing;
    if (before != null && before != tracing) {
      before.export.shutdown();
    }
  }

  /**
   * Makes {@code tracing} the one the proxy uses (null: off) and leaves the one before running, so that it can be
   * turned on again at no cost (PUT /tracing); a request that began traced still exports its spans.
   */
  public static void activate(Tracing tracing) {
    active = tracing;
  }

  /** Whether {@code tracing} is the one the proxy uses. */
  public static boolean isActive(Tracing tracing) {
    return tracing != null && active == tracing;
  }

  /** Uninstalls {@code tracing} if it is the active one (a node stopping). */
  public static void uninstall(Tracing tracing) {
    if (tracing != null && active == tracing) {
      install(null);
    }
  }

  /** The trace of a request that starts now, or null while tracing is off. */
  public static RequestTrace begin(HttpServerRequest req, String route, String service) {
    Tracing t = active;
    return t == null ? null : t.start(req, route, service);
  }

  /**
   * The sampling decision comes first, so that a request that is not sampled (99% of them at the default) costs
   * a random draw and its ids, not a span: the client's decision when its traceparent is valid, else a draw at
   * {@code samplePerMillion}.
   */
  private RequestTrace start(HttpServerRequest req, String route, String service) {
    SpanContext client = null;
    if (req.headers().contains(TRACEPARENT)) {
      SpanContext sent = Span.fromContext(W3C.extract(Context.root(), req.headers(), HEADERS)).getSpanContext();
      if (sent.isValid()) {
        if (!sent.isSampled()) {
          return RequestTrace.unsampled(sent.getTraceId());
        }
        client = sent;
      }
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high;
    long low;
    if (client == null) {
      boolean sampled = random.nextLong(1_000_000) < samplePerMillion;
      high = random.nextLong();
      low = random.nextLong();
      if (high == 0 && low == 0) {
        low = 1; // W3C: an all-zero id is invalid
      }
      if (!sampled) {
        return RequestTrace.unsampled(high, low);
      }
    } else {
      high = TraceIds.half(client.getTraceId(), 0);
      low = TraceIds.half(client.getTraceId(), 1);
    }
    return new RequestTrace(export, new RecordedSpan.Server(high, low, TraceIds.nonZero(random.nextLong()), client,
        req.method().name(), req.path(), route, service));
  }
}
