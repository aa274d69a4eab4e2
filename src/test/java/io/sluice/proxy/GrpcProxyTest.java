package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A grpc-java client calls a grpc-java server through Sluice (h2c to the proxy port, h2c:// to the target) with
 * hand-written method descriptors (a UTF-8 string marshaller, no protoc): unary and all three streaming kinds,
 * the server's status and message passed through in the trailers, and the gateway's own errors (no route, no
 * reachable target, key-auth refusal, a passed grpc-timeout) seen by the client as the right gRPC status.
 */
@ExtendWith(VertxExtension.class)
class GrpcProxyTest {

  private static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private static MethodDescriptor<String, String> method(String service, String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(UTF8).setResponseMarshaller(UTF8).build();
  }

  private static final MethodDescriptor<String, String> UNARY = method("echo.Echo", "Unary", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<String, String> MANY =
      method("echo.Echo", "Many", MethodDescriptor.MethodType.SERVER_STREAMING);
  private static final MethodDescriptor<String, String> SUM =
      method("echo.Echo", "Sum", MethodDescriptor.MethodType.CLIENT_STREAMING);
  private static final MethodDescriptor<String, String> CHAT =
      method("echo.Echo", "Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
  private static final MethodDescriptor<String, String> FAIL = method("echo.Echo", "Fail", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<String, String> SLOW = method("echo.Echo", "Slow", MethodDescriptor.MethodType.UNARY);

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<String> cancelled = new CopyOnWriteArrayList<>();
  private Server server;
  private Gateway gw;
  private ManagedChannel channel;
  private Vertx vertx;

  private ServerServiceDefinition echo(String serviceName) {
    return ServerServiceDefinition.builder(serviceName)
        .addMethod(method(serviceName, "Unary", MethodDescriptor.MethodType.UNARY),
            ServerCalls.asyncUnaryCall((req, out) -> {
              out.onNext("hello " + req);
              out.onCompleted();
            }))
        .addMethod(method(serviceName, "Many", MethodDescriptor.MethodType.SERVER_STREAMING),
            ServerCalls.asyncServerStreamingCall((req, out) -> {
              for (int i = 0; i < Integer.parseInt(req); i++) {
                out.onNext("item " + i);
              }
              out.onCompleted();
            }))
        .addMethod(method(serviceName, "Sum", MethodDescriptor.MethodType.CLIENT_STREAMING),
            ServerCalls.asyncClientStreamingCall(out -> new StreamObserver<String>() {
              private final StringBuilder all = new StringBuilder();

              @Override
              public void onNext(String value) {
                all.append(value);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                out.onNext(all.toString());
                out.onCompleted();
              }
            }))
        .addMethod(method(serviceName, "Chat", MethodDescriptor.MethodType.BIDI_STREAMING),
            ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<String>() {
              @Override
              public void onNext(String value) {
                out.onNext("echo " + value);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                out.onCompleted();
              }
            }))
        .addMethod(method(serviceName, "Fail", MethodDescriptor.MethodType.UNARY),
            ServerCalls.asyncUnaryCall((req, out) -> out.onError(
                Status.NOT_FOUND.withDescription("no such thing: " + req + " (ünïcode)").asRuntimeException())))
        .addMethod(method(serviceName, "Slow", MethodDescriptor.MethodType.UNARY),
            ServerCalls.asyncUnaryCall((req, out) -> {
              io.grpc.Context.current().addListener(ctx -> cancelled.add(req), Runnable::run);
              timer.schedule(() -> {
                out.onNext("late");
                out.onCompleted();
              }, 5, TimeUnit.SECONDS);
            }))
        .build();
  }

  @BeforeEach
  void start(Vertx vertx) throws IOException {
    this.vertx = vertx;
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(echo("echo.Echo")).addService(echo("secure.Echo")).build().start();
    gw = new Gateway(vertx);
    gw.create("/services", new JsonObject().put("name", "grpc").put("tenant", "acme").put("retries", 1)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "h2c://127.0.0.1:" + server.getPort()))));
    gw.create("/services", new JsonObject().put("name", "gone").put("tenant", "acme")
        .put("targets", new JsonArray().add(new JsonObject().put("address", "h2c://127.0.0.1:1"))));
    gw.create("/routes", new JsonObject().put("name", "echo").put("service", "grpc")
        .put("paths", new JsonArray().add("/echo.Echo/")));
    gw.create("/routes", new JsonObject().put("name", "secure").put("service", "grpc")
        .put("paths", new JsonArray().add("/secure.Echo/")));
    gw.create("/routes", new JsonObject().put("name", "gone").put("service", "gone")
        .put("paths", new JsonArray().add("/gone.Echo/")));
    gw.plugin("key-auth", "secure", new JsonObject());
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.node().proxyPort(), InsecureChannelCredentials.create())
        .build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    timer.shutdownNow();
    gw.close();
  }

  private <Q, R> R unary(MethodDescriptor<Q, R> m, Q req, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, m, options, req);
  }

  private Status.Code failure(MethodDescriptor<String, String> m, CallOptions options) {
    return assertThrows(StatusRuntimeException.class, () -> unary(m, "x", options)).getStatus().getCode();
  }

  @Test
  void unary_and_server_client_and_bidirectional_streaming_calls_pass_through() throws Exception {
    CallOptions o = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals("hello sluice", unary(UNARY, "sluice", o));

    List<String> items = new ArrayList<>();
    Iterator<String> it = ClientCalls.blockingServerStreamingCall(channel, MANY, o, "50");
    it.forEachRemaining(items::add);
    assertEquals(50, items.size());
    assertEquals("item 49", items.get(49));

    CompletableFuture<String> sum = new CompletableFuture<>();
    StreamObserver<String> up = ClientCalls.asyncClientStreamingCall(channel.newCall(SUM, o), observer(sum, null));
    for (int i = 0; i < 100; i++) {
      up.onNext(i + ",");
    }
    up.onCompleted();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      expected.append(i).append(',');
    }
    assertEquals(expected.toString(), sum.get(10, TimeUnit.SECONDS));

    // Bidirectional: each answer arrives before the next message is sent, over one stream.
    List<String> answers = new CopyOnWriteArrayList<>();
    CompletableFuture<String> chatDone = new CompletableFuture<>();
    java.util.concurrent.LinkedBlockingQueue<String> arrived = new java.util.concurrent.LinkedBlockingQueue<>();
    StreamObserver<String> chat = ClientCalls.asyncBidiStreamingCall(channel.newCall(CHAT, o), new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        answers.add(value);
        arrived.add(value);
      }

      @Override
      public void onError(Throwable t) {
        chatDone.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        chatDone.complete("done");
      }
    });
    for (int i = 0; i < 5; i++) {
      chat.onNext("m" + i);
      assertEquals("echo m" + i, arrived.poll(10, TimeUnit.SECONDS), "answer " + i + " while the stream is open");
    }
    chat.onCompleted();
    assertEquals("done", chatDone.get(10, TimeUnit.SECONDS));
    assertEquals(5, answers.size());
  }

  /**
   * A bidirectional call is a conversation: once the target answered, messages slower than proxy.body_min_rate are
   * its pace, not a trickling upload; a silence longer than proxy.body_timeout_ms ends it with DEADLINE_EXCEEDED in
   * its trailers (before, the gateway stopped forwarding and the client waited with nothing said).
   */
  @Test
  void a_slow_conversation_goes_on_and_a_silent_one_ends_with_deadline_exceeded() throws Exception {
    Gateway slow = new Gateway(vertx, Map.of("SLUICE_PROXY_BODY_TIMEOUT_MS", "800", "SLUICE_PROXY_BODY_MIN_RATE", "1024"));
    ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", slow.node().proxyPort(),
        InsecureChannelCredentials.create()).build();
    try {
      slow.create("/services", new JsonObject().put("name", "grpc").put("tenant", "acme")
          .put("targets", new JsonArray().add(new JsonObject().put("address", "h2c://127.0.0.1:" + server.getPort()))));
      slow.create("/routes", new JsonObject().put("name", "echo").put("service", "grpc")
          .put("paths", new JsonArray().add("/echo.Echo/")));
      CallOptions o = CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
      for (boolean silent : new boolean[] {false, true}) {
        CompletableFuture<Status> ended = new CompletableFuture<>();
        java.util.concurrent.LinkedBlockingQueue<String> arrived = new java.util.concurrent.LinkedBlockingQueue<>();
        StreamObserver<String> chat = ClientCalls.asyncBidiStreamingCall(c.newCall(CHAT, o), new StreamObserver<>() {
          @Override
          public void onNext(String value) {
            arrived.add(value);
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(Status.OK);
          }
        });
        // 2.4 s at a few bytes a second: three times body_timeout_ms, far below body_min_rate.
        for (int i = 0; i < 6; i++) {
          chat.onNext("m" + i);
          assertEquals("echo m" + i, arrived.poll(10, TimeUnit.SECONDS), "answer " + i + (silent ? " (silent)" : ""));
          Thread.sleep(400);
        }
        if (!silent) {
          chat.onCompleted();
          assertEquals(Status.Code.OK, ended.get(10, TimeUnit.SECONDS).getCode(), "the slow conversation completed");
        } else {
          Status status = ended.get(10, TimeUnit.SECONDS); // nothing sent any more, the call left open
          assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode(), status.toString());
          assertTrue(String.valueOf(status.getDescription()).contains("stalled"), status.toString());
        }
      }
    } finally {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      slow.close();
    }
  }

  private static StreamObserver<String> observer(CompletableFuture<String> result, List<String> all) {
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        if (all != null) {
          all.add(value);
        }
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  @Test
  void the_servers_status_and_message_reach_the_client_in_the_trailers() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> unary(FAIL, "widget", CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("no such thing: widget (ünïcode)", e.getStatus().getDescription());
  }

  @Test
  void gateway_errors_are_grpc_errors_with_the_right_codes() {
    CallOptions o = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNIMPLEMENTED, failure(method("other.Other", "X", MethodDescriptor.MethodType.UNARY), o),
        "no route");
    assertEquals(Status.Code.UNAVAILABLE, failure(method("gone.Echo", "Unary", MethodDescriptor.MethodType.UNARY), o),
        "no target reachable");
    MethodDescriptor<String, String> secure = method("secure.Echo", "Unary", MethodDescriptor.MethodType.UNARY);
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> unary(secure, "x", o));
    assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), "key-auth refusal");
    assertTrue(refused.getStatus().getDescription() != null && !refused.getStatus().getDescription().isEmpty());

    Metadata md = new Metadata();
    md.put(Metadata.Key.of("apikey", Metadata.ASCII_STRING_MARSHALLER), gw.key(gw.consumer("caller")));
    String authorized = ClientCalls.blockingUnaryCall(
        io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md)), secure, o, "key");
    assertEquals("hello key", authorized);
  }

  @Test
  void a_call_over_the_gateways_limits_is_invalid_argument_and_never_counts_against_the_target() {
    CallOptions o = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    // A path over proxy.max_initial_line_bytes (8 KiB): refused as over HTTP/1.1 (414), never sent to the target,
    // which would refuse it too and be counted as failing: more times than the breaker's threshold.
    MethodDescriptor<String, String> longPath = method("echo.Echo", "U".repeat(9_000), MethodDescriptor.MethodType.UNARY);
    for (int i = 0; i < 8; i++) {
      assertEquals(Status.Code.INVALID_ARGUMENT, failure(longPath, o), "414 as a gRPC status");
    }
    // (Metadata over proxy.max_header_bytes: grpc-java refuses to send it, as the limit is advertised; a client that
    // sends it anyway gets INVALID_ARGUMENT too: H2FrameAbuseTest.)
    assertEquals("hello sluice", unary(UNARY, "sluice", o), "the target's breaker stayed closed");
  }

  /** A raw h2c gRPC call to {@code uri} with the given grpc-timeout values (none: no header): trailers merged in. */
  private Http.Reply rawCall(Http h2, String uri, String... grpcTimeouts) {
    byte[] msg = "raw".getBytes(StandardCharsets.UTF_8);
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(msg.length).appendBytes(msg);
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(gw.node().proxyPort()).setURI(uri)
        .putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    for (String t : grpcTimeouts) {
      o.addHeader("grpc-timeout", t);
    }
    return h2.onContext(client -> client.request(o).compose(req -> req.send(frame))
        .compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(),
            io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(resp.headers()).addAll(resp.trailers()), b))))
        .await();
  }

  /**
   * grpc-timeout is 1 to 8 ASCII digits and a unit (PROTOCOL-HTTP2.md). Sluice passed any other value on to the
   * target (taking "+5S" as 5 s, ignoring "-1S"), so the call's deadline was read one way here and another there.
   * Now such a call is answered as grpc-go's server answers it, INTERNAL naming grpc-timeout, and never forwarded.
   */
  @Test
  void a_malformed_grpc_timeout_is_internal_and_never_reaches_the_target() {
    Backend target = Backend.start(vertx, req -> req.body().onSuccess(b -> {
      req.response().putHeader("content-type", "application/grpc");
      req.response().trailers().set("grpc-status", "0");
      req.response().end();
    }));
    Http h2 = Http.h2c(vertx);
    try {
      gw.create("/services", new JsonObject().put("name", "raw").put("tenant", "acme")
          .put("targets", new JsonArray().add(new JsonObject().put("address", "h2c://127.0.0.1:" + target.port()))));
      gw.create("/routes", new JsonObject().put("name", "raw").put("service", "raw")
          .put("paths", new JsonArray().add("/raw.Echo/")));
      String[][] malformed = {{""}, {"1"}, {"S"}, {"123456789S"}, {"1x"}, {"1s"}, {"-1S"}, {"+5S"}, {"1.5S"},
          {"5 S"}, {"0x5S"}, {"5S", "5S"}};
      for (String[] values : malformed) {
        String what = String.join(" and ", values);
        Http.Reply r = rawCall(h2, "/raw.Echo/Unary", values);
        assertEquals(200, r.status(), what);
        assertEquals("13", r.header("grpc-status"), what + ": " + r.headers());
        assertTrue(r.header("grpc-message").startsWith("malformed grpc-timeout: "), what + ": " + r.headers());
        assertEquals(0, r.body().length(), "trailers only: " + what);
      }
      assertEquals(0, target.requests.get(), "no call with a malformed grpc-timeout reached the target");

      for (String ok : new String[] {"12345678H", "5S", "1M", "09000m", "99999999u"}) {
        Http.Reply r = rawCall(h2, "/raw.Echo/Unary", ok);
        assertEquals("0", r.header("grpc-status"), ok + ": " + r.headers());
        assertEquals(ok, target.seen.get(target.seen.size() - 1).getHeader("grpc-timeout"), "passed on as sent");
      }
      assertEquals("0", rawCall(h2, "/raw.Echo/Unary").header("grpc-status"), "no grpc-timeout: no deadline");
    } finally {
      h2.close();
      target.close();
    }
  }

  @Test
  void grpc_timeout_is_the_deadline_of_the_call_at_the_gateway() throws Exception {
    // A raw h2c call carrying grpc-timeout but with no deadline of the client's own: the gateway ends it.
    Http h2 = Http.h2c(vertx);
    byte[] msg = "slow-raw".getBytes(StandardCharsets.UTF_8);
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(msg.length).appendBytes(msg);
    long start = System.nanoTime();
    Http.Reply r = h2.onContext(client -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost("127.0.0.1").setPort(gw.node().proxyPort()).setURI("/echo.Echo/Slow")
            .putHeader("content-type", "application/grpc").putHeader("te", "trailers")
            .putHeader("grpc-timeout", "300m"))
        .compose(req -> req.send(frame))
        .compose(resp -> resp.body().map(b -> {
          io.vertx.core.MultiMap all = io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(resp.headers())
              .addAll(resp.trailers());
          return new Http.Reply(resp.statusCode(), all, b);
        }))).await();
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, r.status());
    assertEquals("4", r.header("grpc-status"), "DEADLINE_EXCEEDED: " + r.headers());
    assertTrue(tookMs < 4000, "ended by the gateway's deadline, not the target's answer after 5 s: " + tookMs + " ms");
    io.sluice.testing.Eventually.eventually("the target's call was cancelled", () -> cancelled.contains("slow-raw"));

    // And a grpc-java deadline: the client sees DEADLINE_EXCEEDED.
    assertEquals(Status.Code.DEADLINE_EXCEEDED,
        failure(SLOW, CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS)));
  }
}
