package io.sluice.proxy;

import static io.sluice.proxy.Refusals.SMUGGLED;
import static io.sluice.proxy.Refusals.assertRefusedBeforeTheBackend;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp.Answer;
import io.sluice.testing.RecordingBackend;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * The size limits of the proxy listener, over a raw socket: default proxy.max_header_bytes (16384) and
 * proxy.max_initial_line_bytes (8192), and proxy.max_body_bytes set to 1024. Over a limit the proxy answers
 * itself (431, 414, 413 with a JSON error) and closes; at the limit the request goes through.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RequestLimitsTest {

  private static final int MAX_BODY = 1024;

  private RecordingBackend backend;
  private TestNode node;

  @BeforeEach
  void start(Vertx vertx) {
    backend = RecordingBackend.start(vertx);
    Map<String, String> env = new java.util.HashMap<>(transport());
    env.put("SLUICE_PROXY_MAX_BODY_BYTES", Integer.toString(MAX_BODY));
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()), env);
  }

  /** The node's transport: the machine's default here (io_uring where it runs), epoll in the subclass. */
  Map<String, String> transport() {
    return Map.of();
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private Answer send(String request) {
    return RawHttp.exchange(node.proxyPort(), request);
  }

  @Test
  void one_header_over_max_header_bytes_is_refused_with_431() {
    String request = "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(17_000) + "\r\n\r\n" + SMUGGLED;
    assertRefusedBeforeTheBackend(request, send(request), 431, "headers_too_large", node, backend);
  }

  @Test
  void many_headers_together_over_max_header_bytes_are_refused_with_431() {
    StringBuilder request = new StringBuilder("GET /x HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 40; i++) {
      request.append("X-H").append(i).append(": ").append("b".repeat(500)).append("\r\n");
    }
    request.append("\r\n").append(SMUGGLED);
    String sent = request.toString();
    assertRefusedBeforeTheBackend(sent, send(sent), 431, "headers_too_large", node, backend);
  }

  @Test
  void request_line_over_max_initial_line_bytes_is_refused_with_414() {
    String request = "GET /" + "a".repeat(9_000) + " HTTP/1.1\r\nHost: a\r\n\r\n" + SMUGGLED;
    assertRefusedBeforeTheBackend(request, send(request), 414, "uri_too_long", node, backend);
  }

  /** Only the head is sent: the 413 must come from the declared length alone, before any body byte. */
  @Test
  void declared_content_length_over_max_body_bytes_is_refused_with_413_before_the_body_is_sent() {
    String request = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n";
    assertRefusedBeforeTheBackend(request, send(request), 413, "body_too_large", node, backend);
  }

  /** The length is not known up front: the proxy has started forwarding when the body passes the limit. */
  @Test
  void chunked_body_growing_past_max_body_bytes_is_refused_with_413_and_never_completes_upstream() {
    StringBuilder request = new StringBuilder("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
      request.append("3e8\r\n").append("c".repeat(1000)).append("\r\n");
    }
    request.append("0\r\n\r\n").append(SMUGGLED);
    String sent = request.toString();
    Answer answer = send(sent);
    List<Executable> checks = new ArrayList<>();
    checks.add(Refusals.sendFollowUpThenCheckBackend(sent, node, backend, false));
    checks.addAll(Refusals.refusal(sent, answer, 413, "body_too_large"));
    assertAll("chunked body over the limit", checks);
  }

  @Test
  void content_length_body_of_exactly_max_body_bytes_is_forwarded() {
    String body = "d".repeat(MAX_BODY);
    Answer answer = send("POST /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: " + MAX_BODY
        + "\r\n\r\n" + body);
    assertEquals(200, answer.first().status(), answer.describe());
    assertEquals(List.of("POST /x"), backend.completedRequests(), backend.describe());
    assertEquals(body, backend.completed.get(0).body().toString());
  }

  @Test
  void chunked_body_of_exactly_max_body_bytes_is_forwarded() {
    String half = "e".repeat(MAX_BODY / 2);
    Answer answer = send("POST /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(half.length()) + "\r\n" + half + "\r\n"
        + Integer.toHexString(half.length()) + "\r\n" + half + "\r\n0\r\n\r\n");
    assertEquals(200, answer.first().status(), answer.describe());
    assertEquals(List.of("POST /x"), backend.completedRequests(), backend.describe());
    assertEquals(half + half, backend.completed.get(0).body().toString());
  }
}
