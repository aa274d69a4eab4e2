package io.sluice.testing;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * A test HTTP client whose requests are all made, and answered, on one Vert.x context. Calling the Vert.x
 * client from the test thread instead lets a response's body arrive before the continuation that reads it
 * is attached, which loses the response now and then (seen: one request in a few hundred hangs).
 */
public final class Http {

  /** A whole answer: status, headers and body. */
  public record Reply(int status, MultiMap headers, Buffer body) {
    public String text() {
      return body.toString();
    }

    public String header(String name) {
      return headers.get(name);
    }
  }

  private final Context context;
  private final HttpClient client;

  public Http(Vertx vertx) {
    this(vertx, new HttpClientOptions());
  }

  public Http(Vertx vertx, HttpClientOptions options) {
    this.context = vertx.getOrCreateContext();
    this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(32).setHttp2MaxSize(4));
  }

  /** A client speaking HTTP/2 with prior knowledge (h2c, no upgrade) to the plain proxy port. */
  public static Http h2c(Vertx vertx) {
    return new Http(vertx, h2cOptions());
  }

  /**
   * A client speaking HTTP/2 over TLS (ALPN offering h2 only) to the proxy's TLS port, trusting only {@code caPem}.
   * The host name is not verified: tests call 127.0.0.1, which the test certificates do not name.
   */
  public static Http h2(Vertx vertx, String caPem) {
    return new Http(vertx, new HttpClientOptions().setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
        .setSsl(true).setUseAlpn(true).setVerifyHost(false)
        .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertValue(Buffer.buffer(caPem))));
  }

  /** Client options for HTTP/2 with prior knowledge. */
  public static HttpClientOptions h2cOptions() {
    return new HttpClientOptions().setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false);
  }

  /** Runs {@code work} on this client's context and hands back its result (for streaming tests). */
  public <T> Future<T> onContext(java.util.function.Function<HttpClient, Future<T>> work) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> work.apply(client).onComplete(promise));
    return promise.future();
  }

  public Future<Reply> send(RequestOptions options, Buffer body) {
    Promise<Reply> promise = Promise.promise();
    context.runOnContext(v -> client.request(options)
        .compose(req -> (body == null ? req.send() : req.send(body))
            .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b))))
        .onComplete(promise));
    return promise.future();
  }

  /** Sends and waits (from the test thread). */
  public Reply call(RequestOptions options) {
    return send(options, null).await();
  }

  public Reply call(RequestOptions options, Buffer body) {
    return send(options, body).await();
  }

  /** Closes this client's connections (a client that goes away). */
  public void close() {
    client.close().await();
  }

  public Reply get(int port, String uri) {
    return call(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(uri));
  }
}
