package io.sluice.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * OpenTelemetry tracing of proxied requests: a server span per request (child of the client's
 * {@code traceparent} when it sent one) and a client span per upstream attempt, whose context goes to the
 * target as W3C {@code traceparent}/{@code tracestate}. Sampling follows the client's decision, else
 * {@code tracing.sample_per_million}; unsampled requests still carry a traceparent (created when absent).
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

  private final SdkTracerProvider provider;
  private final Tracer tracer;
  /** Requests sampled per million among those whose client decided nothing. */
  private final long samplePerMillion;

  /** Spans through {@code processor}, sampled at {@code ratio} when the client decided nothing. */
  public Tracing(SpanProcessor processor, double ratio) {
    this.samplePerMillion = Math.round(Math.max(0, Math.min(1, ratio)) * 1_000_000);
    this.provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.builder().put("service.name", "sluice")
            .put("service.version", BuildInfo.current().version()).build()))
        // The SDK only sees the requests to record (see start): a root is sampled already, a parent says itself.
        .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
        .addSpanProcessor(processor)
        .build();
    this.tracer = provider.get("io.sluice.proxy");
  }

  /** OTLP/HTTP export, batched with a bounded queue (settings {@code tracing.*}). */
  public static Tracing otlp(NodeSettings.Tracing settings) {
    OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(settings.otlpEndpoint()).build();
    SpanProcessor batch = BatchSpanProcessor.builder(exporter).setMaxQueueSize(settings.queueSize()).build();
    return new Tracing(batch, settings.samplePerMillion() / 1_000_000.0);
  }

  /** Makes {@code tracing} the one the proxy uses (null: off); the previous one is flushed and shut down. */
  public static void install(Tracing tracing) {
    Tracing before = active;
    active = tracing;
    if (before != null && before != tracing) {
      before.provider.shutdown();
    }
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
    Context parent = Context.root();
    if (req.headers().contains(TRACEPARENT)) {
      parent = W3C.extract(Context.root(), req.headers(), HEADERS);
    }
    SpanContext client = Span.fromContext(parent).getSpanContext();
    if (client.isValid()) {
      if (!client.isSampled()) {
        return RequestTrace.unsampled(client.getTraceId());
      }
    } else {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      if (random.nextLong(1_000_000) >= samplePerMillion) {
        long high = random.nextLong();
        long low = random.nextLong();
        return RequestTrace.unsampled(high, high == 0 && low == 0 ? 1 : low); // W3C: an all-zero id is invalid
      }
    }
    Span span = tracer.spanBuilder(req.method().name() + " " + route).setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute("http.request.method", req.method().name())
        .setAttribute("url.path", req.path())
        .setAttribute("sluice.route", route)
        .setAttribute("sluice.service", service)
        .startSpan();
    return new RequestTrace(tracer, span);
  }

  /** Injects {@code context} as traceparent/tracestate into {@code headers}. */
  static void inject(Context context, MultiMap headers) {
    headers.remove("traceparent");
    headers.remove("tracestate");
    W3C.inject(context, headers, (carrier, key, value) -> carrier.set(key, value));
  }

  /** The header names of W3C trace context. */
  static List<String> fields() {
    return List.copyOf(W3C.fields());
  }
}
