package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target that ends its answer by closing the connection, with or without a Content-Length, to a client slower than
 * it: the answer is paused while the target's FIN arrives. On io_uring (the suite's transport where the kernel allows
 * it) 5 MB reached the client as 4.3 to 4.8 MB and the access record said 502. Now whole, byte for byte; and a pooled
 * connection the target closes while idle is not reused.
 */
@ExtendWith(VertxExtension.class)
class CloseDelimitedAnswersTest {

  private static final int SIZE = 5 * 1024 * 1024;

  private Vertx vertx;
  private NetServer target;
  private TestNode node;
  private HttpClient client;
  private final AtomicLong requests = new AtomicLong();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    // A raw target: /sized answers with a Content-Length, /unsized without one, both with Connection: close and then
    // the close; /keep answers "kept" and keeps the connection, then closes it 100 ms later, idle.
    target = vertx.createNetServer().connectHandler(socket -> {
      StringBuilder head = new StringBuilder();
      socket.handler(b -> {
        head.append(b.toString(StandardCharsets.ISO_8859_1));
        if (!head.toString().contains("\r\n\r\n")) {
          return;
        }
        requests.incrementAndGet();
        String line = head.substring(0, head.indexOf("\r\n"));
        head.setLength(0);
        if (line.contains("/keep")) {
          socket.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkept");
          vertx.setTimer(100, t -> socket.close());
          return;
        }
        boolean sized = line.contains("/sized");
        socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\n" + (sized ? "Content-Length: " + SIZE + "\r\n" : "")
            + "\r\n");
        writeBody(socket, 0);
      });
    }).listen(0, "127.0.0.1").await();
    node = TestNode.start(TestNode.simpleRoutes("retries: 0", target.actualPort()));
    client = vertx.createHttpClient();
  }

  /** The body in 64 KiB pieces, each after the one before left (the target's own backpressure), then the close. */
  private void writeBody(NetSocket socket, int sent) {
    if (sent >= SIZE) {
      socket.end();
      return;
    }
    int n = Math.min(65536, SIZE - sent);
    socket.write(Buffer.buffer(piece(sent, n))).onComplete(ar -> writeBody(socket, sent + n));
  }

  private static byte[] piece(int offset, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((offset + i) * 31 >>> 3);
    }
    return b;
  }

  @AfterEach
  void stop() {
    client.close().await();
    node.close();
    target.close().await();
  }

  /** The answer's status, length and SHA-256, read by a client that first lets it wait 500 ms (a slow client). */
  private String slowly(String path) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    AtomicLong length = new AtomicLong();
    Promise<Integer> ended = Promise.promise();
    client.request(HttpMethod.GET, node.proxyPort(), "127.0.0.1", path).compose(r -> r.send()).onComplete(ar -> {
      if (ar.failed()) {
        ended.fail(ar.cause());
        return;
      }
      HttpClientResponse resp = ar.result(); // handlers set on the loop, before any chunk can arrive
      resp.pause();
      resp.handler(b -> {
        sha.update(b.getBytes());
        length.addAndGet(b.length());
      });
      resp.exceptionHandler(ended::tryFail);
      resp.endHandler(v -> ended.tryComplete(resp.statusCode()));
      vertx.setTimer(500, t -> resp.resume());
    });
    int status = ended.future().await();
    return status + " " + length.get() + " " + HexFormat.of().formatHex(sha.digest());
  }

  private static String expected() throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(piece(0, SIZE));
    return "200 " + SIZE + " " + HexFormat.of().formatHex(sha.digest());
  }

  @Test
  void an_answer_ended_by_the_close_arrives_whole() throws Exception {
    String whole = expected();
    for (int i = 0; i < 3; i++) {
      assertEquals(whole, slowly("/unsized"));
    }
  }

  @Test
  void an_answer_of_declared_length_followed_by_the_close_arrives_whole() throws Exception {
    String whole = expected();
    for (int i = 0; i < 3; i++) {
      assertEquals(whole, slowly("/sized"));
    }
  }

  @Test
  void a_pooled_connection_the_target_closed_while_idle_is_not_reused() throws Exception {
    for (int i = 0; i < 3; i++) {
      String answer = client.request(HttpMethod.POST, node.proxyPort(), "127.0.0.1", "/keep")
          .compose(r -> r.send("body").compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b))).await();
      // A POST is never sent again: had the proxy written it on the closed connection, the client would see a 502.
      assertEquals("200 kept", answer);
      Thread.sleep(300);
    }
    assertEquals(3, requests.get());
  }
}
