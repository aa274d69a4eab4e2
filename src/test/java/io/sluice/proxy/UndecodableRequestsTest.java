package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RecordingBackend;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.sluice.testing.TlsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the HTTP/1.1 decoder cannot read is answered in HTTP/1.1, on the plain port and on the TLS port alike: Netty
 * stands an undecodable request in as HTTP/1.0, and the answer used to copy it, so a client that spoke HTTP/1.1 got
 * an {@code HTTP/1.0 400}. The answer keeps its JSON error and {@code Connection: close}, and the connection closes.
 */
@ExtendWith(VertxExtension.class)
class UndecodableRequestsTest {

  private static final String TOKEN = "undecodable-admin-token";
  private final TestCa ca = new TestCa("Undecodable Test CA");
  private RecordingBackend backend;
  private TestDatabase db;
  private TestNode node;

  @BeforeEach
  void start(Vertx vertx) {
    backend = RecordingBackend.start(vertx);
    db = TestDatabase.migrated();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()),
        Map.of("SLUICE_PG_URL", db.url(), "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_KEYS_HMAC_SECRET", "undecodable"));
    TestCa.Issued leaf = ca.leaf("localhost");
    JsonObject cert = created(vertx, "/certificates", new JsonObject().put("cert", leaf.certPem())
        .put("key", leaf.keyPem()));
    created(vertx, "/snis", new JsonObject().put("name", "*").put("certificate", cert.getString("id")));
  }

  @AfterEach
  void stop() {
    node.close();
    db.close();
    backend.close();
  }

  private JsonObject created(Vertx vertx, String uri, JsonObject body) {
    Http.Reply r = new Http(vertx).call(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.adminPort()).setURI(uri + "?wait=true").putHeader("Authorization", "Bearer " + TOKEN)
        .putHeader("Content-Type", "application/json"), Buffer.buffer(body.encode()));
    assertEquals(201, r.status(), r.text());
    return new JsonObject(r.text());
  }

  /** Requests the decoder refuses, each with the status it is answered. */
  private static Map<String, String> undecodable() {
    Map<String, String> requests = new LinkedHashMap<>();
    requests.put("400 a header line without a colon", "GET /x HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n");
    requests.put("400 a chunk size that is not hex",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    requests.put("400 a method that is not a token", "G(T /x HTTP/1.1\r\nHost: a\r\n\r\n");
    requests.put("400 a version that cannot be read", "GET /x HTTQ/1.1\r\nHost: a\r\n\r\n");
    requests.put("400 a control byte in a header", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: a\u0001b\r\n\r\n");
    requests.put("400 HTTP/1.0 keep-alive with two Content-Length",
        "POST /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\na");
    requests.put("431 a header over proxy.max_header_bytes", "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: "
        + "a".repeat(20_000) + "\r\n\r\n");
    return requests;
  }

  @Test
  void an_undecodable_request_is_answered_in_http11_with_connection_close_on_the_plain_port() {
    List<String> failures = new ArrayList<>();
    undecodable().forEach((what, request) -> check(what, RawHttp.exchange(node.proxyPort(), request), failures));
    assertEquals(List.of(), failures);
  }

  @Test
  void an_undecodable_request_is_answered_in_http11_with_connection_close_on_the_tls_port() throws Exception {
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, String> c : undecodable().entrySet()) {
      TlsClient tls = new TlsClient(ca.clientContext(null), node.proxyTlsPort(), "localhost");
      check(c.getKey(), RawHttp.exchange(tls.socket, c.getValue()), failures);
    }
    assertEquals(List.of(), failures);
  }

  private static void check(String what, RawHttp.Answer a, List<String> failures) {
    String status = what.substring(0, 3);
    List<RawHttp.Response> all = a.responses();
    RawHttp.Response r = all.isEmpty() ? null : all.get(0);
    if (r == null || !r.statusLine().startsWith("HTTP/1.1 " + status + " ") || !"close".equals(r.header("Connection"))
        || !String.valueOf(r.header("Content-Type")).startsWith("application/json")
        || !status.equals(String.valueOf(r.json().getJsonObject("error").getInteger("status")))
        || !a.closedByServer()) {
      failures.add(what + ": " + a.describe());
    }
  }
}
