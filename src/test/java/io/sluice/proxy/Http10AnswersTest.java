package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * HTTP/1.0 has no chunked coding: an answer the target sends without a length reaches an HTTP/1.0 client
 * delimited by the connection's close, also when the client asked for keep-alive (as ApacheBench's {@code -k}
 * does). Before, such a client got {@code Connection: keep-alive} on a body with no end and waited.
 */
@ExtendWith(VertxExtension.class)
class Http10AnswersTest {

  /** Long enough for the proxy to answer on loopback, short enough that a connection left open fails fast. */
  private static final long READ_MS = 1500;

  private Backend backend;
  private TestNode node;

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> {
      HttpServerResponse resp = req.response();
      if (req.path().equals("/chunked")) {
        // Chunked and spread over timer ticks, so the proxy sends the head before the body has ended.
        resp.setChunked(true).write("part0,");
        vertx.setTimer(20, t -> resp.write("part1,"));
        vertx.setTimer(40, t -> resp.end("part2"));
      } else {
        resp.end("sized");
      }
    });
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()));
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private RawHttp.Answer send(String... requests) {
    return RawHttp.exchange(node.proxyPort(),
        String.join("", requests).getBytes(StandardCharsets.ISO_8859_1), READ_MS);
  }

  private static String get(String path, String version, String connection) {
    return "GET " + path + " " + version + "\r\nHost: a\r\n"
        + (connection == null ? "" : "Connection: " + connection + "\r\n") + "\r\n";
  }

  @Test
  void a_keep_alive_http_1_0_client_gets_an_answer_of_no_length_ended_by_close() {
    RawHttp.Answer answer = send(get("/chunked", "HTTP/1.0", "keep-alive"));
    assertTrue(answer.closedByServer(), answer.describe());
    List<RawHttp.Response> responses = answer.responses();
    assertEquals(1, responses.size(), answer.describe());
    RawHttp.Response r = responses.get(0);
    assertEquals(200, r.status());
    assertEquals("close", r.header("Connection"), answer.describe());
    assertNull(r.header("Transfer-Encoding"), answer.describe());
    assertNull(r.header("Content-Length"), answer.describe());
    assertEquals("part0,part1,part2", r.body());
  }

  @Test
  void an_http_1_0_client_without_keep_alive_gets_the_same() {
    RawHttp.Answer answer = send(get("/chunked", "HTTP/1.0", null));
    assertTrue(answer.closedByServer(), answer.describe());
    RawHttp.Response r = answer.first();
    assertEquals("close", r.header("Connection"), answer.describe());
    assertNull(r.header("Transfer-Encoding"), answer.describe());
    assertEquals("part0,part1,part2", r.body());
  }

  @Test
  void a_keep_alive_http_1_0_client_keeps_its_connection_for_answers_of_declared_length() {
    RawHttp.Answer answer = send(get("/sized", "HTTP/1.0", "keep-alive"), get("/sized", "HTTP/1.0", "keep-alive"));
    assertFalse(answer.closedByServer(), answer.describe());
    List<RawHttp.Response> responses = answer.responses();
    assertEquals(2, responses.size(), answer.describe());
    for (RawHttp.Response r : responses) {
      assertEquals("keep-alive", r.header("Connection"), answer.describe());
      assertEquals("5", r.header("Content-Length"), answer.describe());
      assertEquals("sized", r.body());
    }
  }

  @Test
  void an_http_1_1_client_gets_the_same_answer_chunked_on_a_connection_kept_open() {
    RawHttp.Answer answer = send(get("/chunked", "HTTP/1.1", null));
    assertFalse(answer.closedByServer(), answer.describe());
    RawHttp.Response r = answer.first();
    assertEquals("chunked", r.header("Transfer-Encoding"), answer.describe());
    assertNull(r.header("Connection"), answer.describe());
    assertTrue(r.body().endsWith("0\r\n\r\n"), answer.describe());
  }
}
