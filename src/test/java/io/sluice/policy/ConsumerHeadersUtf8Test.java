package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RawUpstream;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The consumer's identity headers carry the UTF-8 bytes of names beyond Latin-1 (and beyond ASCII), so that an
 * upstream reading the header's octets as UTF-8 gets 张三 and 李四 apart, not {@code ??} twice: to an HTTP/1.1
 * target whose raw bytes are read, and to an h2c target (HPACK).
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerHeadersUtf8Test {

  private RawUpstream h1;
  private Backend h2c;
  private final AtomicReference<MultiMap> h2cHeaders = new AtomicReference<>();
  private Gateway gw;

  @BeforeAll
  void start(Vertx vertx) {
    h1 = RawUpstream.start(vertx);
    h2c = Backend.start(vertx, req -> {
      h2cHeaders.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
      req.response().end("ok");
    });
    gw = new Gateway(vertx, Map.of(), h1.port());
    gw.create("/services", new JsonObject().put("name", "h2svc").put("tenant", "acme").put("retries", 0)
        .put("targets", new JsonArray().add(new JsonObject().put("address", "h2c://127.0.0.1:" + h2c.port()))));
    gw.create("/routes", new JsonObject().put("name", "h2").put("service", "h2svc")
        .put("paths", new JsonArray().add("/h2")));
    for (String route : List.of("api", "h2")) {
      gw.plugin("key-auth", route, new JsonObject());
      gw.plugin("acl", route, new JsonObject().put("allow", new JsonArray().add("gold")));
    }
  }

  @AfterAll
  void stop() {
    gw.close();
    h2c.close();
    h1.close();
  }

  /** A key of a new consumer of acme in group gold (group names are ASCII, by the consumer schema). */
  private String key(String username, String customId) {
    JsonObject c = gw.create("/consumers", new JsonObject().put("tenant", "acme").put("username", username)
        .put("custom_id", customId).put("groups", new JsonArray().add("gold")));
    return gw.key(c);
  }

  /** A header value's octets (one char per byte, as a server decodes them) read as UTF-8. */
  private static String utf8(String octets) {
    assertNotNull(octets);
    return new String(octets.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  /** The value of {@code name} in the last request head the HTTP/1.1 target received, its raw bytes as UTF-8. */
  private String rawH1(String name) {
    String head = h1.heads.get(h1.heads.size() - 1);
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
        return utf8(line.substring(colon + 1).trim());
      }
    }
    throw new AssertionError(name + " not in " + head);
  }

  @Test
  void names_beyond_latin1_reach_an_http11_target_as_utf8_and_stay_apart() {
    String zhang = key("张三", "客户-1");
    String li = key("李四", "客户-2");
    Http.Reply r = gw.get("/api/x", "apikey", zhang);
    assertEquals(200, r.status(), r.text());
    assertEquals("张三", rawH1("X-Consumer-Username"));
    assertEquals("客户-1", rawH1("X-Consumer-Custom-ID"));
    assertEquals("gold", rawH1("X-Consumer-Groups"));
    assertEquals(200, gw.get("/api/x", "apikey", li).status());
    assertEquals("李四", rawH1("X-Consumer-Username"));
    assertEquals("客户-2", rawH1("X-Consumer-Custom-ID"));
  }

  @Test
  void names_beyond_latin1_reach_an_h2c_target_as_utf8_and_stay_apart() {
    String wang = key("王五", "客户-3");
    String zhao = key("赵六", "客户-4");
    Http.Reply r = gw.get("/h2/x", "apikey", wang);
    assertEquals(200, r.status(), r.text());
    assertEquals("王五", utf8(h2cHeaders.get().get("X-Consumer-Username")));
    assertEquals("客户-3", utf8(h2cHeaders.get().get("X-Consumer-Custom-ID")));
    assertEquals("gold", h2cHeaders.get().get("X-Consumer-Groups"));
    assertEquals(200, gw.get("/h2/x", "apikey", zhao).status());
    assertEquals("赵六", utf8(h2cHeaders.get().get("X-Consumer-Username")));
  }

  @Test
  void latin1_names_go_as_utf8_too_and_ascii_names_unchanged() {
    String jose = key("José", "cliente-ñ");
    assertEquals(200, gw.get("/api/x", "apikey", jose).status());
    assertEquals("José", rawH1("X-Consumer-Username"), "the same encoding whatever the name's characters");
    assertEquals("cliente-ñ", rawH1("X-Consumer-Custom-ID"));
    String ada = key("ada", "c-5");
    assertEquals(200, gw.get("/h2/x", "apikey", ada).status());
    assertEquals("ada", h2cHeaders.get().get("X-Consumer-Username"));
  }

  /** Stored names are refused control characters when written; should one get through, it never ends the line. */
  @Test
  void a_cr_or_lf_never_reaches_the_header_line() {
    assertEquals("a  X-Evil: 1", HeaderValues.utf8("a\r\nX-Evil: 1"));
    assertEquals("张 三", utf8(HeaderValues.utf8("张 三")));
    assertEquals("张 三", utf8(HeaderValues.utf8("张\n三")));
  }
}
