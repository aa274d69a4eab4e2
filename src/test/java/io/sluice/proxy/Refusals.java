package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp.Answer;
import io.sluice.testing.RawHttp.Response;
import io.sluice.testing.RecordingBackend;
import io.sluice.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/**
 * Assertions shared by the raw-socket tests: what a refusal by the proxy looks like on the wire, and what the
 * backend may have seen of it. The backend is checked after a valid follow-up request on a new connection has
 * been answered: by then anything the refused connection let through has reached the backend, without sleeps.
 */
final class Refusals {

  /** A request appended after each malformed one: if the proxy reads past a refusal, it forwards this. */
  static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

  /** The valid request sent afterwards on a new connection. */
  static final String FOLLOW_UP = "GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

  private Refusals() {}

  /**
   * The proxy itself refused {@code sent} with {@code status} and {@code code}, closed the connection, answered
   * nothing else on it, and the backend saw not even a request head.
   */
  static void assertRefusedBeforeTheBackend(String sent, Answer answer, int status, String code,
                                            TestNode node, RecordingBackend backend) {
    List<Executable> checks = new ArrayList<>();
    checks.add(sendFollowUpThenCheckBackend(sent, node, backend, true));
    checks.addAll(refusal(sent, answer, status, code));
    assertAll("refusal of " + RawHttp.escape(sent), checks);
  }

  /** The proxy's answer on the wire: status, JSON error with the request id, Connection: close, then closed. */
  static List<Executable> refusal(String sent, Answer answer, int status, String code) {
    String what = "\n  sent:     " + RawHttp.escape(sent) + "\n  answered: " + answer.describe();
    List<Executable> checks = new ArrayList<>();
    checks.add(() -> {
      Response r = answer.first();
      assertEquals(status, r.status(), "status" + what);
      assertTrue(String.valueOf(r.header("Content-Type")).startsWith("application/json"), "JSON error" + what);
      JsonObject error = r.json().getJsonObject("error");
      assertNotNull(error, "JSON body with an 'error' object" + what);
      assertEquals(code, error.getString("code"), "error.code" + what);
      assertEquals(status, error.getInteger("status"), "error.status" + what);
      String id = error.getString("request_id");
      assertTrue(id != null && !id.isEmpty(), "error.request_id present" + what);
      assertEquals(id, r.header("X-Request-Id"), "error.request_id is the X-Request-Id header" + what);
      // HTTP/1.1 even when the request could not be read (Netty stands it in as HTTP/1.0) or said HTTP/1.0.
      assertTrue(r.statusLine().startsWith("HTTP/1.1 "), "the refusal's status line is HTTP/1.1" + what);
      assertEquals("close", r.header("Connection"), "the refusal announces Connection: close" + what);
    });
    checks.add(() -> assertTrue(answer.closedByServer(),
        "the proxy announced 'Connection: close' but left the connection open (likely cause: "
            + "ProxyError.send(..., close=true) only sets the header, and Vert.x 5 closes only when the request "
            + "asked for it)" + what));
    checks.add(() -> assertTrue(answer.responses().size() <= 1,
        "the proxy must not answer anything after refusing a request on this connection, yet it answered "
            + answer.responses().size() + " responses" + what));
    return checks;
  }

  /**
   * Sends the valid follow-up now and returns the check to run afterwards: the follow-up was answered 200 and the
   * backend saw it and nothing else; with {@code noHeads}, not even a request head of the refused request;
   * without, no complete request of it (a head whose body broke off is tolerated, and shown in the message).
   */
  static Executable sendFollowUpThenCheckBackend(String sent, TestNode node, RecordingBackend backend,
                                                boolean noHeads) {
    Answer after = RawHttp.exchange(node.proxyPort(), FOLLOW_UP);
    return () -> {
      String what = "\n  sent before: " + RawHttp.escape(sent) + "\n  " + backend.describe();
      List<Response> rs = after.responses();
      if (rs.isEmpty() || rs.get(0).status() != 200) {
        fail("the valid follow-up request was not answered 200, is the proxy still up? " + after.describe());
      }
      assertFalse(backend.startedRequests().contains("GET /smuggled"),
          "SMUGGLED: the request pipelined after the refused one reached the backend" + what);
      assertEquals(List.of("GET /after"), backend.completedRequests(),
          "the backend must receive exactly one complete request, the valid follow-up" + what);
      assertEquals(1, backend.answered.get(), "the backend answered only the follow-up" + what);
      if (noHeads) {
        assertEquals(List.of("GET /after"), backend.startedRequests(),
            "the refused request must not reach the backend at all, not even its head" + what);
      }
    };
  }
}
