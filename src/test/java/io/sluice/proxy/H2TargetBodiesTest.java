package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Answers of an HTTP/2 target (h2c) of every shape reach HTTP/1.1 and HTTP/2 clients whole. Found from outside: a
 * target that declared content-length and ended its stream with an empty DATA frame after its last bytes (as Go,
 * Node and nginx do) lost those last bytes through the gateway, answered 200: the empty frame took the place of the
 * chunk held back to go out with the end. 10 bytes arrived as 0, 1,000,000 as 999,423.
 */
@ExtendWith(VertxExtension.class)
class H2TargetBodiesTest {

  private static final int[] SIZES = {1, 10, 16_384, 16_385, 65_536, 100_000, 1_000_000};

  private HttpServer target;
  private TestNode node;

  @BeforeEach
  void start(Vertx vertx) {
    target = vertx.createHttpServer().requestHandler(req -> {
      String[] parts = req.path().split("/"); // /{shape}/{size}
      Buffer body = body(Integer.parseInt(parts[2]));
      HttpServerResponse resp = req.response();
      switch (parts[1]) {
        case "sized-then-end" -> { // content-length, the bytes, then END_STREAM alone in an empty DATA frame
          resp.putHeader("content-length", Integer.toString(body.length())).write(body);
          vertx.setTimer(20, t -> resp.end());
        }
        case "sized" -> resp.putHeader("content-length", Integer.toString(body.length())).end(body);
        default -> { // no length: the bytes in two writes, then the end
          resp.write(body.slice(0, body.length() / 2));
          vertx.setTimer(10, t -> resp.write(body.slice(body.length() / 2, body.length())));
          vertx.setTimer(20, t -> resp.end());
        }
      }
    });
    target.listen(0, "127.0.0.1").await();
    node = TestNode.start("format_version: 1\nservices:\n  - name: svc\n    targets:\n"
        + "      - address: h2c://127.0.0.1:" + target.actualPort() + "\n"
        + "routes:\n  - name: all\n    service: svc\n    paths: [\"/\"]\n");
  }

  @AfterEach
  void stop() {
    node.close();
    target.close().await();
  }

  private static Buffer body(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return Buffer.buffer(b);
  }

  @Test
  void every_answer_shape_of_an_h2_target_reaches_h1_and_h2_clients_whole(Vertx vertx) {
    List<String> wrong = new ArrayList<>();
    for (Http client : List.of(new Http(vertx), Http.h2c(vertx))) {
      for (String shape : List.of("sized-then-end", "sized", "unsized")) {
        for (int size : SIZES) {
          Http.Reply r = client.call(new RequestOptions().setHost("127.0.0.1").setPort(node.proxyPort())
              .setURI("/" + shape + "/" + size));
          String what = shape + " " + size + " bytes";
          if (r.status() != 200 || r.body().length() != size) {
            wrong.add(what + ": " + r.status() + ", " + r.body().length() + " bytes");
          } else {
            assertArrayEquals(body(size).getBytes(), r.body().getBytes(), what);
          }
        }
      }
      client.close();
    }
    assertEquals(List.of(), wrong);
  }
}
