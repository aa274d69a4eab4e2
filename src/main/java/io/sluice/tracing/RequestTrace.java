package io.sluice.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vertx.core.MultiMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The trace of one proxied request: its server span, and a client span per upstream attempt. A request that is
 * not sampled has no span at all: only its trace id, and a fresh traceparent (flags 00) for each attempt.
 */
public final class RequestTrace {

  private final Tracer tracer;
  private final Span span;
  /** The trace id's two halves (an unsampled request: its traceparents are written from them). */
  private final long high;
  private final long low;
  /** The trace id's text, made the first time it is asked for (a log line, an access record). */
  private String traceId;

  RequestTrace(Tracer tracer, Span span) {
    this.tracer = tracer;
    this.span = span;
    this.traceId = span.getSpanContext().getTraceId();
    this.high = 0;
    this.low = 0;
  }

  private RequestTrace(long high, long low) {
    this.tracer = null;
    this.span = null;
    this.high = high;
    this.low = low;
  }

  /** A request that is not sampled, in a new trace: {@code high}{@code low}, not both zero. */
  static RequestTrace unsampled(long high, long low) {
    return new RequestTrace(high, low);
  }

  /** A request that is not sampled, in its client's trace {@code traceId} (32 hex characters, valid). */
  static RequestTrace unsampled(String traceId) {
    RequestTrace trace = new RequestTrace(TraceIds.half(traceId, 0), TraceIds.half(traceId, 1));
    trace.traceId = traceId;
    return trace;
  }

  /** Whether this request's spans are recorded and exported (sampled). */
  public boolean recording() {
    return span != null;
  }

  /** The W3C trace id (32 hex characters), for log lines and access records. */
  public String traceId() {
    String id = traceId;
    if (id == null) {
      traceId = id = TraceIds.traceId(high, low);
    }
    return id;
  }

  /**
   * Starts the span of upstream attempt {@code number} to {@code target} and sets its context as the
   * traceparent (and tracestate) of the upstream request {@code headers}.
   */
  public Attempt attempt(MultiMap headers, String target, int number) {
    if (span == null) {
      long spanId = ThreadLocalRandom.current().nextLong();
      // The client's tracestate goes on as it came.
      headers.set(Tracing.TRACEPARENT, TraceIds.unsampledParent(high, low, spanId == 0 ? 1 : spanId));
      return Attempt.NONE;
    }
    Span child = tracer.spanBuilder("upstream attempt " + number).setParent(Context.root().with(span))
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute("server.address", target)
        .setAttribute("sluice.attempt", number)
        .startSpan();
    Tracing.inject(Context.root().with(child), headers);
    return new Attempt(child);
  }

  /**
   * Starts the span of a call a policy makes to a store ({@code system}: redis, postgresql), a child of the
   * request's span: {@code name} says which policy and what for ("rate-limiting redis").
   */
  public StoreCall storeCall(String name, String system) {
    if (span == null) {
      return StoreCall.NONE;
    }
    return new StoreCall(tracer.spanBuilder(name).setParent(Context.root().with(span))
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute("db.system", system)
        .startSpan());
  }

  /** The span of one call of a policy to Redis or PostgreSQL. */
  public static final class StoreCall {
    static final StoreCall NONE = new StoreCall(null);
    private final Span span;

    StoreCall(Span span) {
      this.span = span;
    }

    /** Ends the span; {@code failure} (null: it answered) marks it an error. */
    public void end(Throwable failure) {
      if (span == null) {
        return;
      }
      if (failure != null) {
        span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
      }
      span.end();
    }
  }

  /** Ends the request's span with the status the client got. */
  public void end(int status) {
    if (span == null) {
      return;
    }
    span.setAttribute("http.response.status_code", status);
    if (status >= 500) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
  }

  /** The span of one upstream attempt. */
  public static final class Attempt {
    static final Attempt NONE = new Attempt(null);
    private final Span span;
    private boolean ended;

    Attempt(Span span) {
      this.span = span;
    }

    /** Ends the attempt's span: {@code status} the target's answer, or 0 when it gave none. */
    public void end(int status) {
      if (span == null || ended) {
        return;
      }
      ended = true;
      if (status > 0) {
        span.setAttribute("http.response.status_code", status);
      }
      if (status == 0 || status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
    }
  }
}
