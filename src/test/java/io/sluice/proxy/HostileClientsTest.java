package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What an outside review found a hostile client could do, each as the exact bytes it sent, against an
 * upstream that records the raw bytes it receives: none of these may reach it, and only what a target did
 * may count against it.
 */
class HostileClientsTest {

  private Vertx vertx;
  private RawUpstream upstream;
  private TestNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    upstream = RawUpstream.start(vertx);
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            retries: 0
            circuit_breaker: {failures: 3, open_ms: 60000}
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: api, service: svc, paths: ["/api"]}
        """.formatted(upstream.port()), Map.of("SLUICE_PROXY_BODY_TIMEOUT_MS", "500"));
  }

  @AfterEach
  void stop() {
    node.close();
    upstream.close();
    vertx.close().await();
  }

  private RawHttp.Answer send(String raw) {
    return RawHttp.exchange(node.proxyPort(), raw);
  }

  /** The proxy answered {@code status} itself and closed the connection, and the upstream got no byte. */
  private void refusedBeforeTheUpstream(String raw, int status) {
    RawHttp.Answer a = send(raw);
    String what = RawHttp.escape(raw) + " -> " + a.describe();
    assertFalse(a.responses().isEmpty(), "no answer to " + what);
    assertEquals(status, a.first().status(), what);
    assertTrue(a.closedByServer(), "connection left open after " + what);
    assertEquals("", upstream.bytes(), "the upstream received bytes of " + what);
  }

  /** The target is still in service: a valid request gets the upstream's 200. */
  private void targetStillServes() {
    RawHttp.Answer ok = send("GET /api/ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertEquals(200, ok.first().status(), "the target was taken out of service: " + ok.describe());
  }

  @Test
  void malformed_chunked_bodies_are_the_clients_fault_and_never_open_the_breaker() {
    for (int i = 0; i < 5; i++) {
      RawHttp.Answer a = send("POST /api/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
      assertEquals(400, a.first().status(), a.describe());
      assertTrue(a.closedByServer(), a.describe());
    }
    targetStillServes();
    assertFalse(upstream.requestLines().contains("POST /api/x HTTP/1.1"), "no broken request was completed");
  }

  @Test
  void stalled_uploads_get_408_and_never_open_the_breaker() {
    for (int i = 0; i < 3; i++) {
      RawHttp.Answer a = RawHttp.exchange(node.proxyPort(),
          "POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab".getBytes(), 5000);
      assertEquals(408, a.first().status(), a.describe());
      assertTrue(a.closedByServer(), a.describe());
    }
    targetStillServes();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // chunk size 0x100000005 read as 5 by Netty's int parser: the rest would be a second request at the upstream
      "POST /api/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100000005\r\nabcde\r\n0\r\n\r\n",
  })
  void a_chunk_size_that_overflows_is_refused(String raw) {
    RawHttp.Answer a = send(raw);
    assertEquals(400, a.first().status(), a.describe());
    assertTrue(a.closedByServer(), a.describe());
    assertFalse(upstream.requestLines().contains("POST /api/x HTTP/1.1"), "the request completed upstream");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // obs-fold: Netty joins the continuation to Host, and the body would become a second request upstream
      "POST /api/x HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
      "GET /api/x HTTP/1.1\r\nX-A: 1\r\n\tX-B: 2\r\nHost: a\r\n\r\n",
      "GET /api/a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/x HTTP/1.1\r\n: empty-name\r\nHost: a\r\n\r\n",
      "GET /api/x HTTP/1.1\r\n\r\n",
      "GET /api/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET /api/x HTTP/1.1\r\nHost: a b\r\n\r\n",
      "GET /api/x HTTP/1.1\r\nHost: a:99999\r\n\r\n",
      "GET /api/x HTTP/1.1\r\nHost: a@b\r\n\r\n",
      "GET http://a.example/api/x HTTP/1.1\r\nHost: b.example\r\n\r\n",
      "GET /api/%61dmin%00/x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/x%2f..%2fadmin/x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/x/..%5cadmin/x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/x/..\\admin/x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/admin;x/x HTTP/1.1\r\nHost: a\r\n\r\n",
      // a fragment is not part of a request-target (RFC 9112 3.2): read as a path character, it hid "/../"
      "GET /api/admin#/../x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/x?a=1#b HTTP/1.1\r\nHost: a\r\n\r\n",
      // escapes that decode to bytes that are not UTF-8: an overlong '.', a lone continuation byte, a cut sequence
      "GET /api/x/%c0%ae%c0%ae/admin HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/x/%ae HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/caf%c3 HTTP/1.1\r\nHost: a\r\n\r\n",
  })
  void ambiguous_requests_are_refused_with_400_before_the_upstream(String raw) {
    refusedBeforeTheUpstream(raw, 400);
  }

  @Test
  void unknown_versions_get_505_and_too_many_headers_431() {
    refusedBeforeTheUpstream("GET /api/x HTTP/1.2\r\nHost: a\r\n\r\n", 505);
    refusedBeforeTheUpstream("GET /api/x HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    StringBuilder many = new StringBuilder("GET /api/x HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 101; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    refusedBeforeTheUpstream(many.append("\r\n").toString(), 431);
  }

  @Test
  void options_asterisk_and_connect_are_refused_saying_why() {
    Map<String, String> why = Map.of(
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "the asterisk-form request-target (OPTIONS *) is not proxied",
        "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
        "CONNECT is not proxied: Sluice is a reverse proxy, not a forward one");
    why.forEach((raw, message) -> {
      refusedBeforeTheUpstream(raw, 400);
      RawHttp.Answer a = send(raw);
      assertEquals(message,
          a.first().json().getJsonObject("error").getString("message"), a.describe());
    });
  }

  @Test
  void an_absolute_form_target_naming_the_host_routes_on_it_and_goes_upstream_in_origin_form() {
    RawHttp.Answer a = send("GET http://a.example/api/%61bs HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
    assertEquals(200, a.first().status(), a.describe());
    assertEquals(List.of("GET /api/abs HTTP/1.1"), upstream.requestLines());
  }

  @Test
  void the_path_that_was_matched_is_the_path_forwarded() {
    List<String> sent = List.of("/api/%61dmin/x", "/api//admin/x", "/api/x/%2e%2e/admin/x", "/api/x/.%2e/admin/x",
        "/api/%7euser", "/api/caf%c3%a9");
    for (String path : sent) {
      RawHttp.Answer a = send("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assertEquals(200, a.first().status(), path + ": " + a.describe());
    }
    assertEquals(List.of("GET /api/admin/x HTTP/1.1", "GET /api/admin/x HTTP/1.1", "GET /api/admin/x HTTP/1.1",
        "GET /api/admin/x HTTP/1.1", "GET /api/~user HTTP/1.1", "GET /api/caf%C3%A9 HTTP/1.1"), upstream.requestLines());
  }

  @Test
  void identity_headers_from_clients_never_reach_the_upstream() {
    RawHttp.Answer a = send("GET /api/x HTTP/1.1\r\nHost: a\r\nX-Consumer-ID: admin\r\nX-Consumer-Username: root\r\n"
        + "X-Consumer-Groups: staff\r\nx-consumer-custom-id: c\r\nX_Consumer_ID: admin\r\n"
        + "X-Client-Cert-Subject: CN=admin\r\nx_client_cert_subject: CN=root\r\nX-Client-Cert-Subjects: kept\r\n"
        + "Connection: close\r\n\r\n");
    assertEquals(200, a.first().status(), a.describe());
    String head = upstream.heads.get(0).toLowerCase(java.util.Locale.ROOT);
    for (String forged : List.of("x-consumer-id", "x-consumer-username", "x-consumer-groups", "x-consumer-custom-id",
        "x_consumer_id", "x-client-cert-subject:", "x_client_cert_subject")) {
      assertFalse(head.contains(forged), forged + " reached the upstream:\n" + upstream.heads.get(0));
    }
    assertTrue(head.contains("x-client-cert-subjects: kept"), "a header that only starts like one is kept:\n" + head);
  }

  /** WSGI, PHP and CGI servers read X_Real_IP as X-Real-IP: a client's underscore spelling would replace the proxy's. */
  @Test
  void underscore_spellings_of_the_proxys_own_headers_never_reach_the_upstream() {
    RawHttp.Answer a = send("POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nX_Real_IP: 6.6.6.6\r\n"
        + "X_Forwarded_For: 6.6.6.6\r\nX_Forwarded_Host: evil\r\nx_forwarded_proto: https\r\nX_Request_Id: forged\r\n"
        + "Transfer_Encoding: chunked\r\nContent_Length: 99\r\nProxy_Connection: keep-alive\r\nApi_Key: kept\r\n"
        + "Connection: close\r\n\r\nok");
    assertEquals(200, a.first().status(), a.describe());
    String head = upstream.heads.get(0).toLowerCase(java.util.Locale.ROOT);
    for (String forged : List.of("x_real_ip", "x_forwarded_for", "x_forwarded_host", "x_forwarded_proto", "x_request_id",
        "transfer_encoding", "content_length", "proxy_connection", "6.6.6.6", "evil", "forged")) {
      assertFalse(head.contains(forged), forged + " reached the upstream:\n" + upstream.heads.get(0));
    }
    assertTrue(head.contains("api_key: kept"), "other names with underscores pass:\n" + head);
  }

  @Test
  void a_client_that_closes_before_the_answer_is_recorded_as_499_never_as_a_complete_answer() {
    // The upstream answers only complete requests: this one never completes, and the client goes away.
    RawHttp.Answer a = RawHttp.exchange(node.proxyPort(),
        "POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc".getBytes(), 200);
    assertEquals(RawHttp.Ending.TIMED_OUT, a.ending());
    List<String> statuses = new ArrayList<>();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (statuses.isEmpty() && System.nanoTime() < deadline) {
      node.node().registry().find("sluice.requests").counters().forEach(c -> {
        if (c.count() > 0) {
          statuses.add(c.getId().getTag("status") + "=" + (long) c.count());
        }
      });
      Thread.onSpinWait();
    }
    assertEquals(List.of("4xx=1"), statuses, "recorded as the client's 499, not as the target's answer");
  }
}
