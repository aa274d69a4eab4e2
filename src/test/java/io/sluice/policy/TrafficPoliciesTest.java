package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** cors, ip-restriction, request-size-limiting, correlation-id and the two transformers. */
@ExtendWith(VertxExtension.class)
class TrafficPoliciesTest {

  private Gateway gw;

  /** The gateway under test; the h2c subclass sends the same requests over HTTP/2. */
  Gateway gateway(Vertx vertx) {
    return new Gateway(vertx);
  }

  @BeforeEach
  void start(Vertx vertx) {
    gw = gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  private static JsonArray arr(String... v) {
    return new JsonArray(java.util.List.of((Object[]) v));
  }

  private static String code(Http.Reply r) {
    return new JsonObject(r.text()).getJsonObject("error").getString("code");
  }

  @Test
  void cors_answers_preflights_at_the_gateway_before_authentication() {
    gw.plugin("key-auth", "api", new JsonObject());
    gw.plugin("cors", "api", new JsonObject().put("origins", arr("https://app.example")).put("credentials", true)
        .put("max_age", 600).put("exposed_headers", arr("X-Total")));
    int before = gw.backend.completed.size();
    Http.Reply pre = gw.call(gw.node(), HttpMethod.OPTIONS, "/api/x", null, "Origin", "https://app.example",
        "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type");
    assertEquals(204, pre.status(), pre.text());
    assertEquals("https://app.example", pre.header("Access-Control-Allow-Origin"));
    assertTrue(pre.header("Access-Control-Allow-Methods").contains("PUT"));
    assertEquals("content-type", pre.header("Access-Control-Allow-Headers"));
    assertEquals("true", pre.header("Access-Control-Allow-Credentials"));
    assertEquals("600", pre.header("Access-Control-Max-Age"));
    Http.Reply bad = gw.call(gw.node(), HttpMethod.OPTIONS, "/api/x", null, "Origin", "https://evil.example",
        "Access-Control-Request-Method", "GET");
    assertEquals(403, bad.status());
    assertEquals(before, gw.backend.completed.size(), "preflights never go upstream");
    String key = gw.key(gw.consumer("alice"));
    Http.Reply simple = gw.get("/api/x", "Origin", "https://app.example", "apikey", key);
    assertEquals(200, simple.status());
    assertEquals("https://app.example", simple.header("Access-Control-Allow-Origin"));
    assertEquals("X-Total", simple.header("Access-Control-Expose-Headers"));
    Http.Reply refused = gw.get("/api/x", "Origin", "https://app.example");
    assertEquals(401, refused.status());
    assertEquals("https://app.example", refused.header("Access-Control-Allow-Origin"),
        "a browser can read the refusal");
    // Found from outside: an answer to an origin not allowed (or to none) had no Vary, so a shared cache could keep
    // it, without Access-Control-Allow-Origin, for the allowed origin.
    for (String[] origin : new String[][] {{"Origin", "https://evil.example", "apikey", key}, {"apikey", key}}) {
      Http.Reply other = gw.get("/api/x", origin);
      assertEquals(200, other.status());
      assertNull(other.header("Access-Control-Allow-Origin"));
      assertEquals("Origin", other.header("Vary"), java.util.Arrays.toString(origin));
    }
  }

  @Test
  void ip_restriction_allows_and_denies_blocks_and_trusts_only_configured_proxies() {
    gw.plugin("ip-restriction", "api", new JsonObject().put("deny", arr("127.0.0.0/8")));
    Http.Reply denied = gw.get("/api/x");
    assertEquals(403, denied.status());
    assertEquals("forbidden", code(denied));
    gw.plugin("ip-restriction", "open", new JsonObject().put("allow", arr("203.0.113.0/24"))
        .put("trusted_proxies", arr("127.0.0.1")));
    assertEquals(403, gw.get("/open/x").status(), "127.0.0.1 itself is not allowed");
    assertEquals(200, gw.get("/open/x", "X-Forwarded-For", "203.0.113.9").status(), "client behind a trusted proxy");
    assertEquals(403, gw.get("/open/x", "X-Forwarded-For", "203.0.113.9, 198.51.100.1").status(),
        "the rightmost untrusted address is the client");
    Http.Reply bad = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "ip-restriction")
        .put("scope", "global").put("config", new JsonObject().put("allow", arr("10.0.0.0/33", "::zz"))));
    assertEquals(400, bad.status());
    assertTrue(bad.text().contains("config.allow[0]") && bad.text().contains("config.allow[1]"), bad.text());
  }

  @Test
  void request_size_limiting_refuses_declared_and_streamed_bodies_over_the_limit() {
    gw.plugin("request-size-limiting", "api", new JsonObject().put("allowed_payload_size", 1)
        .put("size_unit", "kilobytes"));
    Buffer small = Buffer.buffer(new byte[1000]);
    Buffer big = Buffer.buffer(new byte[5000]);
    assertEquals(200, gw.call(gw.node(), HttpMethod.POST, "/api/x", small).status());
    Http.Reply declared = gw.call(gw.node(), HttpMethod.POST, "/api/x", big);
    assertEquals(413, declared.status());
    assertEquals("body_too_large", code(declared));
    Http.Reply chunked = gw.http.onContext(client -> client.request(new io.vertx.core.http.RequestOptions()
            .setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.node().proxyPort()).setURI("/api/x"))
        .compose(req -> {
          req.setChunked(true);
          return req.send(big).compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), resp.headers(), b)));
        })).await();
    assertEquals(413, chunked.status(), "counted while streaming");
    assertEquals(200, gw.call(gw.node(), HttpMethod.POST, "/open/x", big).status(), "other routes keep the node's limit");
  }

  /**
   * Found from outside: over HTTP/2 a body without content-length went upstream (chunked to the target), since
   * only Transfer-Encoding, which HTTP/2 never carries, was looked for.
   */
  @Test
  void require_content_length_refuses_a_body_of_unknown_length_and_passes_one_without_a_body() {
    gw.plugin("request-size-limiting", "api", new JsonObject().put("allowed_payload_size", 1)
        .put("require_content_length", true));
    int heads = gw.backend.started();
    Http.Reply unsized = gw.callUnsized(gw.node(), HttpMethod.POST, "/api/x", Buffer.buffer(new byte[2000]));
    assertEquals(411, unsized.status(), unsized.text());
    assertEquals("length_required", code(unsized));
    assertEquals(heads, gw.backend.started(), "never sent upstream: " + gw.backend.describe());
    assertEquals(200, gw.call(gw.node(), HttpMethod.POST, "/api/x", Buffer.buffer(new byte[2000])).status(),
        "a declared length passes");
    assertEquals(200, gw.call(gw.node(), HttpMethod.POST, "/api/x", null).status(),
        "no body (over HTTP/2: the HEADERS frame ended the stream) is not refused");
    assertEquals(0, gw.last().body().length());
  }

  /**
   * Found from outside: empty segments were dropped ({@code x=1&&y=2} went as {@code x=1&y=2}) and a space the
   * policy wrote went as {@code +}. Untouched parameters go as sent, in order; written ones use %20.
   */
  @Test
  void request_transformer_keeps_untouched_query_segments_as_sent_and_writes_spaces_as_percent_20() {
    gw.plugin("request-transformer", "api", new JsonObject()
        .put("remove", new JsonObject().put("querystring", arr("trace")))
        .put("replace", new JsonObject().put("querystring", new JsonObject().put("e", "\u00e9 ~")))
        .put("add", new JsonObject().put("querystring", new JsonObject().put("v", "2"))));
    assertEquals(200, gw.get("/api/x?x=1&&y=2&trace").status());
    assertEquals("/api/x?x=1&&y=2&v=2", gw.last().uri());
    assertEquals(200, gw.get("/api/x?k=a+b&&z=%7e&e=1&trace=1&").status());
    assertEquals("/api/x?k=a+b&&z=%7e&e=%C3%A9%20~&&v=2", gw.last().uri());
  }

  /**
   * Names are compared as a target decodes them: {@code tr%61ce} and {@code %74race} are {@code trace} (a client kept a
   * parameter the policy takes out by spelling it another way), {@code my+param} is {@code my param}; an escape that
   * does not decode is a name as sent.
   */
  @Test
  void request_transformer_matches_query_names_as_the_target_decodes_them() {
    gw.plugin("request-transformer", "api", new JsonObject()
        .put("remove", new JsonObject().put("querystring", arr("trace", "my param")))
        .put("rename", new JsonObject().put("querystring", new JsonObject().put("q", "query")))
        .put("replace", new JsonObject().put("querystring", new JsonObject().put("e", "2")))
        .put("add", new JsonObject().put("querystring", new JsonObject().put("v", "1"))));
    assertEquals(200, gw.get("/api/x?tr%61ce=1&%74race&my+param=2&my%20param=3&%71=a%20b&%65=9&%zz=1&v%3D=x").status());
    assertEquals("/api/x?query=a%20b&e=2&%zz=1&v%3D=x&v=1", gw.last().uri());
    assertEquals(200, gw.get("/api/x?%76=7").status());
    assertEquals("/api/x?%76=7", gw.last().uri(), "v is there, spelled %76: not added again");
  }

  @Test
  void correlation_id_is_kept_or_generated_and_echoed() {
    gw.plugin("correlation-id", "api", new JsonObject().put("echo_downstream", true));
    Http.Reply generated = gw.get("/api/x");
    String id = generated.header("X-Correlation-ID");
    assertNotNull(id);
    assertEquals(36, id.length());
    assertEquals(id, gw.last().headers().get("X-Correlation-ID"));
    Http.Reply kept = gw.get("/api/x", "X-Correlation-ID", "abc-123");
    assertEquals("abc-123", kept.header("X-Correlation-ID"));
    assertEquals("abc-123", gw.last().headers().get("X-Correlation-ID"));
  }

  @Test
  void transformers_edit_headers_and_query_both_ways() {
    gw.plugin("request-transformer", "api", new JsonObject()
        .put("remove", new JsonObject().put("headers", arr("X-Debug")).put("querystring", arr("trace")))
        .put("rename", new JsonObject().put("headers", new JsonObject().put("X-Old", "X-New"))
            .put("querystring", new JsonObject().put("q", "query")))
        .put("replace", new JsonObject().put("headers", new JsonObject().put("X-Env", "prod")))
        .put("add", new JsonObject().put("headers", new JsonObject().put("X-Added", "yes").put("X-Env", "no"))
            .put("querystring", new JsonObject().put("v", "2 3"))));
    gw.plugin("response-transformer", "api", new JsonObject()
        .put("remove", new JsonObject().put("headers", arr("X-Request-Id")))
        .put("add", new JsonObject().put("headers", new JsonObject().put("X-Served-By", "sluice"))));
    Http.Reply r = gw.get("/api/x?trace=1&q=a%20b&k=v", "X-Debug", "1", "X-Old", "o", "X-Env", "dev", "x-old", "o2");
    assertEquals(200, r.status());
    var seen = gw.last();
    assertEquals("/api/x?query=a%20b&k=v&v=2%203", seen.uri());
    assertNull(seen.headers().get("X-Debug"));
    assertNull(seen.headers().get("X-Old"));
    assertEquals(java.util.List.of("o", "o2"), seen.headers().getAll("X-New"), "every line renamed, in order");
    assertEquals("prod", seen.headers().get("X-Env"), "replace, then add only when absent");
    assertEquals("yes", seen.headers().get("X-Added"));
    assertNull(r.header("X-Request-Id"));
    assertEquals("sluice", r.header("X-Served-By"));
    Http.Reply bad = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "response-transformer")
        .put("scope", "global").put("config", new JsonObject().put("add", new JsonObject()
            .put("querystring", new JsonObject().put("a", "b")))));
    assertEquals(400, bad.status());
    assertTrue(bad.text().contains("config.add.querystring"), bad.text());
  }
}
