package io.sluice.policy;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.PluginDef;
import io.sluice.policy.correlation.CorrelationIdPolicy;
import io.sluice.policy.transform.RequestTransformerPolicy;
import io.sluice.policy.transform.ResponseTransformerPolicy;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The transformers and correlation-id never put a connection's headers on the wire: hop-by-hop headers,
 * Content-Length and Host are refused in every operation of a transformer, and as correlation-id's
 * {@code header_name}, when a plugin is written; a row written with psql that names one is rejected (the last
 * good state stays), and a policy built from such a configuration drops them.
 */
@ExtendWith(VertxExtension.class)
class TransformerConnectionHeadersTest {

  private static List<String> fields(Http.Reply r) {
    List<String> out = new ArrayList<>();
    for (Object f : new JsonObject(r.text()).getJsonObject("error").getJsonArray("fields")) {
      out.add(((JsonObject) f).getString("field"));
    }
    return out;
  }

  private static JsonObject plugin(String name, JsonObject config) {
    return new JsonObject().put("name", name).put("scope", "route").put("route", "api").put("config", config);
  }

  private static JsonObject headers(String op, Object headers) {
    return new JsonObject().put(op, new JsonObject().put("headers", headers));
  }

  @Test
  void a_write_naming_a_connection_header_is_refused_with_the_field(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx)) {
      Http.Reply te = gw.admin(HttpMethod.POST, "/plugins", plugin("response-transformer",
          headers("add", new JsonObject().put("Transfer-Encoding", "chunked"))));
      assertEquals(400, te.status(), te.text());
      assertEquals(List.of("config.add.headers.Transfer-Encoding"), fields(te));
      assertTrue(te.text().contains("hop-by-hop"), te.text());

      Http.Reply conn = gw.admin(HttpMethod.POST, "/plugins", plugin("request-transformer",
          headers("add", new JsonObject().put("connection", "X-Forwarded-For"))));
      assertEquals(400, conn.status(), conn.text());
      assertEquals(List.of("config.add.headers.connection"), fields(conn));

      // Every operation, both transformers, Content-Length and Host included; all refused at once.
      JsonObject many = headers("remove", new JsonArray().add("X-Fine").add("Keep-Alive"))
          .put("rename", new JsonObject().put("headers", new JsonObject().put("X-Len", "Content-Length")
              .put("Upgrade", "X-Upgrade")))
          .put("replace", new JsonObject().put("headers", new JsonObject().put("TE", "trailers")))
          .put("add", new JsonObject().put("headers", new JsonObject().put("Host", "evil.example")
              .put("Proxy-Connection", "keep-alive").put("Trailer", "X").put("X-Ok", "1")));
      Http.Reply all = gw.admin(HttpMethod.POST, "/plugins", plugin("response-transformer", many));
      assertEquals(400, all.status(), all.text());
      assertEquals(List.of("config.add.headers.Host", "config.add.headers.Proxy-Connection",
          "config.add.headers.Trailer", "config.remove.headers[1]", "config.rename.headers.Upgrade",
          "config.rename.headers.X-Len", "config.replace.headers.TE"), fields(all).stream().sorted().toList());
      assertTrue(all.text().contains("renames to Content-Length is a framing header"), all.text());
      Http.Reply req = gw.admin(HttpMethod.POST, "/plugins", plugin("request-transformer", many));
      assertEquals(400, req.status(), req.text());

      JsonObject list = new JsonObject(gw.admin(HttpMethod.GET, "/plugins", null).text());
      assertEquals(0, list.getJsonArray("data").size(), "nothing stored");
      // The declarative path refuses it the same way.
      Http.Reply put = gw.admin(HttpMethod.PUT, "/config", new JsonObject().put("format_version", 1)
          .put("plugins", new JsonArray().add(plugin("response-transformer",
              headers("add", new JsonObject().put("Content-Length", "3"))))));
      assertEquals(400, put.status(), put.text());
      assertTrue(put.text().contains("config.add.headers.Content-Length"), put.text());
    }
  }

  @Test
  void a_row_written_with_psql_never_puts_a_second_framing_on_the_wire(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx)) {
      JsonObject p = gw.plugin("response-transformer", "api",
          headers("add", new JsonObject().put("X-Served-By", "sluice")));
      gw.db.transaction("update plugins set config = '{\"add\": {\"headers\": {\"Transfer-Encoding\": \"chunked\","
          + " \"X-Served-By\": \"psql\"}}}' where id = '" + p.getString("id") + "'");
      long version = gw.db.configVersion();
      gw.awaitApplied(version);
      RawHttp.Answer a = RawHttp.exchange(gw.node().proxyPort(),
          "GET /api/1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      String raw = new String(a.raw(), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      String head = raw.substring(0, raw.indexOf("\r\n\r\n"));
      assertTrue(head.startsWith("http/1.1 200"), a.describe());
      assertFalse(head.contains("content-length") && head.contains("transfer-encoding"), a.describe());
      assertTrue(head.contains("x-served-by: sluice"), "the last good configuration stays: " + a.describe());
      eventually("the row is reported as rejected", () -> gw.admin(HttpMethod.GET, "/cluster", null).text()
          .contains("config.add.headers.Transfer-Encoding"));
    }
  }

  @Test
  void a_transformer_built_from_such_a_configuration_drops_those_headers() throws Exception {
    ObjectMapper json = new ObjectMapper();
    String config = """
        {"add": {"headers": {"Transfer-Encoding": "chunked", "Connection": "X-Forwarded-For", "X-Ok": "1"}},
         "rename": {"headers": {"X-Len": "Content-Length", "Upgrade": "X-Up"}},
         "replace": {"headers": {"Host": "evil"}}, "remove": {"headers": ["Content-Length"]}}""";
    Policy response = ResponseTransformerPolicy.TYPE.factory().create(new PluginDef("p1", "response-transformer",
        "route", null, "api", null, json.readTree(config)), null);
    MultiMap answer = MultiMap.caseInsensitiveMultiMap().add("Content-Length", "12").add("X-Len", "4")
        .add("Host", "h");
    response.onResponse(null, 200, answer);
    assertEquals("12", answer.get("Content-Length"));
    assertEquals("4", answer.get("X-Len"));
    assertEquals("h", answer.get("Host"));
    assertNull(answer.get("Transfer-Encoding"));
    assertNull(answer.get("Connection"));
    assertEquals("1", answer.get("X-Ok"));

    Policy request = RequestTransformerPolicy.TYPE.factory().create(new PluginDef("p2", "request-transformer",
        "route", null, "api", null, json.readTree(config)), null);
    PolicyCall call = new PolicyCall(null, "r1", "/api", "api") {
      @Override
      public String upstreamHeader(String name) {
        return null; // the client sent none of them
      }
    };
    request.onRequest(call);
    MultiMap upstream = MultiMap.caseInsensitiveMultiMap();
    call.editUpstreamHeaders(upstream);
    assertEquals(List.of("x-ok"), upstream.names().stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
  }

  private static final List<String> CONNECTION_NAMES = List.of("Content-Length", "Transfer-Encoding", "Host",
      "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE",
      "Trailer", "Upgrade", "transfer-encoding");

  @Test
  void a_correlation_id_header_name_of_the_connection_is_refused_on_every_write(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx)) {
      JsonObject kept = gw.plugin("correlation-id", "api", new JsonObject().put("header_name", "X-Corr"));
      String at = "/plugins/" + kept.getString("id");
      for (String name : CONNECTION_NAMES) {
        JsonObject config = new JsonObject().put("header_name", name).put("echo_downstream", true);
        Http.Reply post = gw.admin(HttpMethod.POST, "/plugins", plugin("correlation-id", config));
        assertEquals(400, post.status(), name + ": " + post.text());
        assertEquals(List.of("config.header_name"), fields(post), name);
        assertTrue(post.text().contains(name + " is "), post.text());
        Http.Reply put = gw.admin(HttpMethod.PUT, at, plugin("correlation-id", config), "If-Match", "*");
        assertEquals(400, put.status(), name + ": " + put.text());
        assertEquals(List.of("config.header_name"), fields(put), name);
        Http.Reply patch = gw.admin(HttpMethod.PATCH, at, new JsonObject().put("config", config), "If-Match", "*");
        assertEquals(400, patch.status(), name + ": " + patch.text());
        assertEquals(List.of("config.header_name"), fields(patch), name);
        Http.Reply file = gw.admin(HttpMethod.PUT, "/config", new JsonObject().put("format_version", 1)
            .put("plugins", new JsonArray().add(plugin("correlation-id", config))));
        assertEquals(400, file.status(), name + ": " + file.text());
        assertTrue(file.text().contains("config.header_name"), file.text());
      }
      Http.Reply te = gw.admin(HttpMethod.POST, "/plugins", plugin("correlation-id",
          new JsonObject().put("header_name", "Transfer-Encoding")));
      assertTrue(te.text().contains("hop-by-hop"), te.text());
      JsonObject list = new JsonObject(gw.admin(HttpMethod.GET, "/plugins", null).text());
      assertEquals(1, list.getJsonArray("data").size(), "nothing more stored");
      assertEquals("X-Corr", new JsonObject(gw.admin(HttpMethod.GET, at, null).text()).getJsonObject("config")
          .getString("header_name"), "nothing changed");
    }
  }

  @Test
  void a_correlation_id_row_written_with_psql_never_writes_a_framing_header(Vertx vertx) {
    try (Gateway gw = new Gateway(vertx)) {
      JsonObject p = gw.plugin("correlation-id", "api", new JsonObject().put("header_name", "X-Corr")
          .put("echo_downstream", true));
      gw.db.transaction("update plugins set config = '{\"header_name\": \"Transfer-Encoding\","
          + " \"echo_downstream\": true}' where id = '" + p.getString("id") + "'");
      gw.awaitApplied(gw.db.configVersion());
      RawHttp.Answer a = RawHttp.exchange(gw.node().proxyPort(),
          "POST /api/1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
      String raw = new String(a.raw(), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      String head = raw.substring(0, raw.indexOf("\r\n\r\n"));
      assertTrue(head.startsWith("http/1.1 200"), a.describe());
      assertFalse(head.contains("transfer-encoding"), a.describe());
      assertTrue(head.contains("x-corr: "), "the last good configuration stays: " + a.describe());
      MultiMap upstream = gw.last().headers();
      assertNull(upstream.get("Transfer-Encoding"), upstream.toString());
      assertEquals("5", upstream.get("Content-Length"));
      assertEquals(36, upstream.get("X-Corr").length());
      eventually("the row is reported as rejected", () -> gw.admin(HttpMethod.GET, "/cluster", null).text()
          .contains("config.header_name"));
    }
  }

  @Test
  void a_correlation_id_built_from_such_a_configuration_writes_nothing() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String name : CONNECTION_NAMES) {
      Policy policy = CorrelationIdPolicy.TYPE.factory().create(new PluginDef("p3", "correlation-id", "route",
          null, "api", null, json.readTree(new JsonObject().put("header_name", name).put("echo_downstream", true)
          .encode())), null);
      PolicyCall call = new PolicyCall(null, "r1", "/api", "api") {};
      policy.onRequest(call);
      MultiMap upstream = MultiMap.caseInsensitiveMultiMap().add("Content-Length", "5");
      call.editUpstreamHeaders(upstream);
      assertEquals(List.of("Content-Length"), List.copyOf(upstream.names()), name);
      MultiMap answer = MultiMap.caseInsensitiveMultiMap();
      call.onResponse(200, answer);
      assertTrue(answer.isEmpty(), name + ": " + answer);
    }
  }
}
