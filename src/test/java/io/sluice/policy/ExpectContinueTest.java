package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Expect: 100-continue is answered by the gateway after the route's policies: a refused client gets its refusal
 * instead of a 100 (and so never uploads), an admitted one gets the 100, then its body reaches the target whole,
 * without the Expect header. Any other expectation is 417.
 */
@ExtendWith(VertxExtension.class)
class ExpectContinueTest {

  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  /** Sends the head, returns the first answer head the gateway sends (before any body byte went out). */
  private static String head(Socket s, String head) throws IOException {
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return readHead(s.getInputStream());
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      got.write(b);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void a_refused_client_gets_its_refusal_not_a_100_and_an_admitted_one_gets_100_then_its_body_is_forwarded()
      throws Exception {
    String key = gw.key(gw.consumer("alice"));
    gw.plugin("key-auth", "api", new JsonObject());
    int before = gw.backend.completed.size();
    int body = 300_000;
    try (Socket s = new Socket("127.0.0.1", gw.node().proxyPort())) {
      String answer = head(s, "POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + body
          + "\r\nExpect: 100-continue\r\n\r\n");
      assertTrue(answer.startsWith("HTTP/1.1 401 "), "no key: refused before any body, got " + answer);
    }
    assertEquals(before, gw.backend.started(), "nothing reached the target");

    byte[] bytes = new byte[body];
    Arrays.fill(bytes, (byte) 'x');
    try (Socket s = new Socket("127.0.0.1", gw.node().proxyPort())) {
      String interim = head(s, "POST /api/upload HTTP/1.1\r\nHost: a\r\napikey: " + key + "\r\nContent-Length: "
          + body + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
      assertTrue(interim.startsWith("HTTP/1.1 100 Continue"), "admitted: 100 before the body, got " + interim);
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      String fin = readHead(s.getInputStream());
      assertTrue(fin.startsWith("HTTP/1.1 200 "), fin);
    }
    var seen = gw.last();
    assertEquals(body, seen.body().length(), "the whole body reached the target");
    assertNull(seen.headers().get("Expect"), "the gateway answered the expectation; the target is not asked again");
  }

  @Test
  void an_unknown_expectation_is_417_and_never_reaches_the_target() throws Exception {
    try (Socket s = new Socket("127.0.0.1", gw.node().proxyPort())) {
      String answer = head(s, "POST /open/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 200-ok\r\n\r\n");
      assertTrue(answer.startsWith("HTTP/1.1 417 "), answer);
    }
    assertEquals(0, gw.backend.started(), "nothing reached the target");
    assertEquals(200, gw.get("/open/x").status(), "the route still serves");
  }
}
