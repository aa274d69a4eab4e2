package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that shuts its sending side right after its request ({@code nc -N}, {@code socat}, a script calling
 * {@code shutdown(SHUT_WR)}) gets its answer whole, then the connection ends. Before, the proxy closed the connection
 * at the client's FIN and the client read nothing at all.
 */
@ExtendWith(VertxExtension.class)
class ClientHalfCloseTest {

  private static final long READ_MS = 3000;

  private Backend backend;
  private TestNode node;
  /** Bodies the backend read to their end, as "METHOD path body". */
  private final List<String> bodies = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> req.body().onSuccess(body -> {
      bodies.add(req.method() + " " + req.path() + " " + body);
      HttpServerResponse resp = req.response();
      if (req.path().equals("/slow")) {
        // An answer in parts over timer ticks: written long after the client's FIN arrived.
        resp.setChunked(true).write("part0,");
        vertx.setTimer(150, t -> resp.write("part1,"));
        vertx.setTimer(300, t -> resp.end("part2"));
      } else {
        resp.end("seen " + req.path() + " " + body);
      }
    }));
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()));
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private RawHttp.Answer sendThenShut(String request) {
    return RawHttp.exchangeThenShut(node.proxyPort(), request, READ_MS);
  }

  @Test
  void a_get_followed_by_a_fin_is_answered_then_the_connection_ends() {
    RawHttp.Answer answer = sendThenShut("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    List<RawHttp.Response> responses = answer.responses();
    assertEquals(1, responses.size(), answer.describe());
    assertEquals(200, responses.get(0).status(), answer.describe());
    assertEquals("seen /one ", responses.get(0).body(), answer.describe());
  }

  @Test
  void an_answer_written_long_after_the_fin_arrives_whole() {
    RawHttp.Answer answer = sendThenShut("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    RawHttp.Response r = answer.first();
    assertEquals(200, r.status(), answer.describe());
    String body = r.body();
    assertTrue(body.contains("part0,") && body.contains("part1,") && body.contains("part2")
        && body.endsWith("0\r\n\r\n"), answer.describe());
  }

  @Test
  void a_post_with_its_whole_body_then_a_fin_reaches_the_target_whole() {
    RawHttp.Answer answer = sendThenShut(
        "POST /post HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    assertEquals("seen /post hello", answer.first().body(), answer.describe());
    assertEquals(List.of("POST /post hello"), bodies);
  }

  @Test
  void pipelined_requests_before_the_fin_are_all_answered_in_order() {
    RawHttp.Answer answer = sendThenShut("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
        + "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
        + "GET /c HTTP/1.0\r\n\r\n");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    String raw = new String(answer.raw(), java.nio.charset.StandardCharsets.ISO_8859_1);
    int a = raw.indexOf("\r\n\r\nseen /a ");
    int slow = raw.indexOf("part2\r\n0\r\n\r\n"); // the chunked answer's end (RawHttp parses no chunks)
    int c = raw.indexOf("HTTP/1.0 200 OK");
    assertTrue(a > 0 && slow > a && c > slow && raw.endsWith("\r\n\r\nseen /c "), answer.describe());
  }

  @Test
  void an_http_1_0_request_then_a_fin_is_answered() {
    RawHttp.Answer answer = sendThenShut("GET /old HTTP/1.0\r\n\r\n");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    assertEquals("seen /old ", answer.first().body(), answer.describe());
  }

  @Test
  void a_body_cut_short_by_the_fin_never_reaches_the_target_whole_and_the_connection_ends() {
    RawHttp.Answer answer = sendThenShut("POST /cut HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    assertNotEquals(RawHttp.Ending.TIMED_OUT, answer.ending(), answer.describe());
    for (RawHttp.Response r : answer.responses()) {
      assertNotEquals(200, r.status(), answer.describe());
    }
    assertTrue(bodies.isEmpty(), "the target read a body: " + bodies);
  }

  @Test
  void a_head_cut_short_by_the_fin_is_answered_400() {
    RawHttp.Answer answer = sendThenShut("GET /half HTTP/1.1\r\nHost: a\r\n");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    assertEquals(400, answer.first().status(), answer.describe());
    assertTrue(bodies.isEmpty(), "the target was asked: " + bodies);
  }

  @Test
  void a_fin_on_an_idle_connection_closes_it() {
    RawHttp.Answer answer = sendThenShut("");
    assertEquals(RawHttp.Ending.CLOSED, answer.ending(), answer.describe());
    assertTrue(answer.isEmpty(), answer.describe());
  }
}
