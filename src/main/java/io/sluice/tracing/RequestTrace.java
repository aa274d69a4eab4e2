package io.sluice.tracing;

import io.vertx.core.MultiMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The trace of one proxied request. Every attempt gets a fresh span id and a traceparent written from the ids
 * (flags 01 when sampled, 00 when not; the client's tracestate goes on as it came). A sampled request records its
 * span and one per upstream attempt and store call as {@link RecordedSpan}s, exported off the event loop; a
 * request that is not sampled has no span at all, only its trace id.
 */
public final class RequestTrace {

  /** Where the ended spans go; null: not sampled. */
  private final SpanExport export;
  private final RecordedSpan.Server span;
  /** The trace id's two halves: the traceparents are written from them. */
  private final long high;
  private final long low;
  /** The trace id's text, made the first time it is asked for (a log line, an access record). */
  private String traceId;

  RequestTrace(SpanExport export, RecordedSpan.Server span) {
    this.export = export;
    this.span = span;
    this.high = span.high;
    this.low = span.low;
  }

  private RequestTrace(long high, long low) {
    this.export = null;
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
   * Sets the traceparent of upstream attempt {@code number} to {@code target} on its request {@code headers}
   * and, when sampled, starts the attempt's span.
   */
  public Attempt attempt(MultiMap headers, String target, int number) {
    long spanId = TraceIds.nonZero(ThreadLocalRandom.current().nextLong());
    headers.set(Tracing.TRACEPARENT, TraceIds.traceparent(high, low, spanId, span != null));
    return span == null ? Attempt.NONE : new Attempt(export, new RecordedSpan.Upstream(span, spanId, target, number));
  }

  /**
   * Starts the span of a call a policy makes to a store ({@code system}: redis, postgresql), a child of the
   * request's span: {@code name} says which policy and what for ("rate-limiting redis").
   */
  public StoreCall storeCall(String name, String system) {
    if (span == null) {
      return StoreCall.NONE;
    }
    long spanId = TraceIds.nonZero(ThreadLocalRandom.current().nextLong());
    return new StoreCall(export, new RecordedSpan.Store(span, spanId, name, system));
  }

  /** Ends the request's span with the status the client got. */
  public void end(int status) {
    if (span == null) {
      return;
    }
    span.status = status;
    if (status >= 500) {
      span.error = "";
    }
    span.end(export);
  }

  /** The span of one call of a policy to Redis or PostgreSQL. */
  public static final class StoreCall {
    static final StoreCall NONE = new StoreCall(null, null);
    private final SpanExport export;
    private final RecordedSpan span;

    StoreCall(SpanExport export, RecordedSpan span) {
      this.export = export;
      this.span = span;
    }

    /** Ends the span; {@code failure} (null: it answered) marks it an error. */
    public void end(Throwable failure) {
      if (span == null) {
        return;
      }
      if (failure != null) {
        span.error = String.valueOf(failure.getMessage());
      }
      span.end(export);
    }
  }

  /** The span of one upstream attempt. */
  public static final class Attempt {
    static final Attempt NONE = new Attempt(null, null);
    private final SpanExport export;
    private final RecordedSpan span;
    private boolean ended;

    Attempt(SpanExport export, RecordedSpan span) {
      this.export = export;
      this.span = span;
    }

    /** Ends the attempt's span: {@code status} the target's answer, or 0 when it gave none. */
    public void end(int status) {
      if (span == null || ended) {
        return;
      }
      ended = true;
      span.status = status;
      if (status == 0 || status >= 500) {
        span.error = "";
      }
      span.end(export);
    }
  }
}
