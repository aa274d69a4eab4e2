package io.sluice.cli;

import io.sluice.tracing.OtlpSpans;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code sluice spans [--host H] [--port N] [--limit N]}: a small OTLP/HTTP trace receiver that prints every span
 * it is sent as one JSON line on stdout (see {@link OtlpSpans}), to see a node's traces without a collector.
 * It answers an export 200 (an empty ExportTraceServiceResponse), a body it cannot read 400. Exit codes: 0
 * stopped by a signal or --limit reached, 1 cannot listen, 2 bad arguments.
 */
@Command(name = "spans", mixinStandardHelpOptions = true,
    customSynopsis = "sluice spans [--host H] [--port N] [--limit N]",
    description = "An OTLP/HTTP trace receiver (POST /v1/traces, protobuf) printing each span as a JSON line:"
        + " point tracing.otlp_endpoint at it to see a node's spans without a collector.")
public final class SpansCommand implements Callable<Integer> {

  /** The largest export accepted: the SDK's batches are 512 spans of a few hundred bytes. */
  private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

  @Option(names = "--host", paramLabel = "H", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", paramLabel = "N", defaultValue = "4318",
      description = "Port to listen on, 0 for a free one (default: ${DEFAULT-VALUE}, OTLP/HTTP's).")
  int port;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "Exit after printing N spans (default: 0, never).")
  long limit;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be between 0 and 65535, not " + port);
    }
    if (limit < 0) {
      throw new ParameterException(spec.commandLine(), "--limit must be 0 (never) or more, not " + limit);
    }
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopping = new CountDownLatch(1);
    AtomicLong printed = new AtomicLong();
    Vertx vertx = Vertx.vertx();
    HttpServer server;
    try {
      server = vertx.createHttpServer(new HttpServerOptions().setDecompressionSupported(true)
          .setHttp2ClearTextEnabled(false)) // HTTP/1.1: the JDK's client (the exporter's) asks for an h2c upgrade
          .requestHandler(req -> receive(req, out, printed, stopping)).listen(port, host).await();
    } catch (Exception e) {
      spec.commandLine().getErr().println("sluice spans: cannot listen on " + host + ":" + port + ": " + e.getMessage());
      vertx.close();
      return Cli.FAILURE;
    }
    spec.commandLine().getErr().println("OTLP/HTTP receiver on http://" + host + ":" + server.actualPort()
        + "/v1/traces");
    spec.commandLine().getErr().flush();
    Signal.handle(new Signal("TERM"), s -> stopping.countDown());
    Signal.handle(new Signal("INT"), s -> stopping.countDown());
    stopping.await();
    vertx.close().await();
    out.flush();
    return 0;
  }

  private void receive(HttpServerRequest req, PrintWriter out, AtomicLong printed, CountDownLatch stopping) {
    if (req.method() != HttpMethod.POST) {
      req.response().setStatusCode(405).end();
      return;
    }
    req.body().onComplete(ar -> {
      Buffer body = ar.succeeded() ? ar.result() : null;
      if (body == null || body.length() > MAX_BODY_BYTES) {
        req.response().setStatusCode(body == null ? 400 : 413).end();
        return;
      }
      List<JsonObject> spans;
      try {
        spans = OtlpSpans.read(body.getBytes());
      } catch (IllegalArgumentException e) {
        req.response().setStatusCode(400).end(e.getMessage());
        return;
      }
      synchronized (out) {
        for (JsonObject span : spans) {
          if (limit > 0 && printed.get() >= limit) {
            break;
          }
          out.println(span.encode());
          printed.incrementAndGet();
        }
        out.flush();
      }
      req.response().putHeader("Content-Type", "application/x-protobuf").end();
      if (limit > 0 && printed.get() >= limit) {
        stopping.countDown();
      }
    });
  }
}
