package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Eventually;
import io.sluice.testing.Http;
import io.sluice.testing.RecordingBackend;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The decision docs/http2-grpc.md explains: an HTTP/2 client still sending a body the gateway refused gets the whole
 * answer first (END_STREAM), then RST_STREAM NO_ERROR (RFC 9113 section 8.1), never another code that would say the
 * answer failed. curl 7.88 sometimes exits 92 on it: curl's race, not a reason to change this.
 */
@ExtendWith(VertxExtension.class)
class EarlyAnswerResetH2cTest {

  private static final int MAX_BODY = 1024;

  private RecordingBackend backend;
  private TestNode node;
  private Http h2;

  @BeforeEach
  void start(Vertx vertx) {
    backend = RecordingBackend.start(vertx);
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()),
        Map.of("SLUICE_PROXY_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    h2 = Http.h2c(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  @Test
  void a_client_still_sending_gets_its_413_whole_then_rst_stream_no_error() {
    List<Long> resets = new CopyOnWriteArrayList<>();
    Http.Reply r = h2.onContext(client -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost("127.0.0.1").setPort(node.proxyPort()).setURI("/upload"))
        .compose(req -> {
          req.setChunked(true);
          req.exceptionHandler(e -> {
            if (e instanceof StreamResetException reset) {
              resets.add(reset.getCode());
            }
          });
          req.write(Buffer.buffer(new byte[4 * MAX_BODY])); // over the limit, and the stream not ended
          return req.response().compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(),
              resp.headers(), b)));
        })).await();
    assertEquals(413, r.status(), r.text());
    assertEquals("body_too_large", new JsonObject(r.text()).getJsonObject("error").getString("code"));
    Eventually.eventually("the stream reset after the answer", () -> !resets.isEmpty());
    assertEquals(List.of(0L), resets, "RST_STREAM NO_ERROR: stop sending, the answer stands");
  }
}
