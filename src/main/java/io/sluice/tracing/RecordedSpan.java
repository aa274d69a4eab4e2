package io.sluice.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;

/**
 * A sampled span as the event loop records it: ids as longs, the parts of its name and attributes, start and end
 * as {@code System.nanoTime()}, the status. Nothing of the OpenTelemetry SDK runs on the loop for it: the
 * {@link SpanData} the exporter reads is made from these fields on the export thread ({@link #toSpanData}).
 *
 * <p>Why not the SDK's spans: at 1% sampling their builder, attribute maps, contexts and propagator ran on the loop
 * as cold code, 30 to 50 us per sampled request, twenty times what the same calls cost at 100% (measured in
 * bench/tracing.sh, issue 16). A recorded span is written by code that every request runs.
 */
abstract class RecordedSpan {

  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("sluice.route");
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("sluice.service");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> ADDRESS = AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("sluice.attempt");
  private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");

  /** The span id, not zero. */
  final long id;
  final long startNanos = System.nanoTime();
  long endNanos;
  /** The HTTP status answered, 0: none. */
  int status;
  /** Null: no error; else the error status's description ("" for none). */
  String error;

  RecordedSpan(long id) {
    this.id = id;
  }

  /** The request's span this one belongs to (itself for the request's). */
  abstract Server request();

  abstract String name();

  abstract SpanKind kind();

  abstract Attributes attributes();

  /** Ends the span now and hands it to {@code export}. */
  final void end(SpanExport export) {
    endNanos = System.nanoTime();
    export.add(this);
  }

  /** The span's data for the exporter; {@code epochOffset} turns a nanoTime reading into epoch nanoseconds. */
  final SpanData toSpanData(Resource resource, InstrumentationScopeInfo scope, long epochOffset) {
    Server request = request();
    String traceId = TraceIds.traceId(request.high, request.low);
    TraceState state = request.client == null ? TraceState.getDefault() : request.client.getTraceState();
    SpanContext context = SpanContext.create(traceId, TraceIds.spanId(id), TraceFlags.getSampled(), state);
    SpanContext parent = this == request
        ? request.client == null ? SpanContext.getInvalid() : request.client
        : SpanContext.create(traceId, TraceIds.spanId(request.id), TraceFlags.getSampled(), state);
    StatusData statusData = error == null ? StatusData.unset() : StatusData.create(StatusCode.ERROR, error);
    return new SpanSnapshot(name(), kind(), context, parent, statusData, startNanos + epochOffset,
        endNanos + epochOffset, attributes(), resource, scope);
  }

  /** A proxied request's span (SERVER): a root, or the child of the client's span when it sent a sampled one. */
  static final class Server extends RecordedSpan {
    final long high;
    final long low;
    /** The client's span context (remote, sampled), or null: the request's span is a root. */
    final SpanContext client;
    private final String method;
    private final String path;
    private final String route;
    private final String service;

    Server(long high, long low, long id, SpanContext client, String method, String path, String route, String service) {
      super(id);
      this.high = high;
      this.low = low;
      this.client = client;
      this.method = method;
      this.path = path;
      this.route = route;
      this.service = service;
    }

    @Override
    Server request() {
      return this;
    }

    @Override
    String name() {
      return method + " " + route;
    }

    @Override
    SpanKind kind() {
      return SpanKind.SERVER;
    }

    @Override
    Attributes attributes() {
      return Attributes.of(METHOD, method, PATH, path, ROUTE, route, SERVICE, service, STATUS, (long) status);
    }
  }

  /** An upstream attempt's span (CLIENT), the request's child. */
  static final class Upstream extends RecordedSpan {
    private final Server request;
    private final String target;
    private final int number;

    Upstream(Server request, long id, String target, int number) {
      super(id);
      this.request = request;
      this.target = target;
      this.number = number;
    }

    @Override
    Server request() {
      return request;
    }

    @Override
    String name() {
      return "upstream attempt " + number;
    }

    @Override
    SpanKind kind() {
      return SpanKind.CLIENT;
    }

    @Override
    Attributes attributes() {
      return status > 0 ? Attributes.of(ADDRESS, target, ATTEMPT, (long) number, STATUS, (long) status)
          : Attributes.of(ADDRESS, target, ATTEMPT, (long) number);
    }
  }

  /** A policy's call to a store (CLIENT), the request's child: {@code name} says which policy and what for. */
  static final class Store extends RecordedSpan {
    private final Server request;
    private final String name;
    private final String system;

    Store(Server request, long id, String name, String system) {
      super(id);
      this.request = request;
      this.name = name;
      this.system = system;
    }

    @Override
    Server request() {
      return request;
    }

    @Override
    String name() {
      return name;
    }

    @Override
    SpanKind kind() {
      return SpanKind.CLIENT;
    }

    @Override
    Attributes attributes() {
      return Attributes.of(DB_SYSTEM, system);
    }
  }
}
