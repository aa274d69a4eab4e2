package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.streams.WriteStream;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 64 MiB each way through the proxy. Runs in its own JVM with a 96 MiB heap (surefire execution
 * "bounded-heap" in the pom): a proxy that held a body whole would fail with OutOfMemoryError.
 */
@Tag("bounded-heap")
@ExtendWith(VertxExtension.class)
class LargeBodyStreamingTest {

  private static final int CHUNK = 1 << 20;
  private static final int CHUNKS = 64;
  private static final long TOTAL = (long) CHUNK * CHUNKS;

  private Vertx vertx;
  private Backend backend;
  private TestNode node;
  private Http http;

  /** The client under test; the h2c subclass streams the same bodies over HTTP/2. */
  Http client(Vertx vertx) {
    return new Http(vertx);
  }

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    backend = Backend.start(vertx, req -> {
      if (req.method() == HttpMethod.POST) {
        AtomicLong received = new AtomicLong();
        AtomicLong sum = new AtomicLong();
        req.handler(b -> {
          received.addAndGet(b.length());
          sum.addAndGet(checksum(b));
        });
        req.endHandler(v -> req.response().end(received.get() + " " + sum.get()));
      } else {
        HttpServerResponse resp = req.response().setChunked(true);
        writeChunks(resp, CHUNKS).onComplete(v -> resp.end());
      }
    });
    node = TestNode.start(TestNode.simpleRoutes("timeouts: {read_ms: 60000, idle_ms: 60000}", backend.port()));
    http = client(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private static long checksum(Buffer b) {
    long s = 0;
    for (int i = 0; i < b.length(); i++) {
      s += b.getByte(i) & 0xff;
    }
    return s;
  }

  private static Buffer chunk() {
    Buffer b = Buffer.buffer(CHUNK);
    for (int i = 0; i < CHUNK; i++) {
      b.appendByte((byte) (i * 31));
    }
    return b;
  }

  /** Writes n chunks with backpressure: the next one only when the stream can take it. */
  private Future<Void> writeChunks(WriteStream<Buffer> out, int n) {
    Buffer chunk = chunk();
    Promise<Void> done = Promise.promise();
    Runnable[] step = new Runnable[1];
    int[] left = {n};
    step[0] = () -> {
      while (left[0] > 0 && !out.writeQueueFull()) {
        out.write(chunk.copy());
        left[0]--;
      }
      if (left[0] == 0) {
        done.complete();
      } else {
        out.drainHandler(v -> step[0].run());
      }
    };
    vertx.runOnContext(v -> step[0].run());
    return done.future();
  }

  @Test
  void a_64_mib_upload_streams_through_with_a_bounded_heap() {
    String answer = http.onContext(client -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/upload"))
        .compose(req -> {
          req.setChunked(true);
          Future<String> body = req.response().compose(r -> r.body()).map(Buffer::toString);
          writeChunks(req, CHUNKS).onSuccess(v -> req.end());
          return body;
        })).await();
    long expectedSum = checksum(chunk()) * CHUNKS;
    assertEquals(TOTAL + " " + expectedSum, answer);
  }

  @Test
  void a_64_mib_download_streams_through_with_a_bounded_heap() {
    AtomicLong received = new AtomicLong();
    int status = http.onContext(client -> client.request(new RequestOptions().setHost("127.0.0.1")
            .setPort(node.proxyPort()).setURI("/dl"))
        .compose(HttpClientRequest::send)
        .compose(resp -> {
          resp.handler(b -> received.addAndGet(b.length()));
          return resp.end().map(v -> resp.statusCode());
        })).await();
    assertEquals(200, status);
    assertEquals(TOTAL, received.get());
  }
}
