package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that sends its whole body before reading (most do, without Expect) gets the refusal of that body:
 * the connection is closed lingering, so the bytes still arriving do not make the kernel reset it and discard
 * the answer (found from outside: a 413 for a 5 MB upload arrived as "connection reset" most of the time).
 */
@ExtendWith(VertxExtension.class)
class RefusedUploadTest {

  private static final int BODY = 5_000_000;
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  /** Sends the head and the whole body (chunked or with a length), then reads the answer's status line. */
  private String upload(String path, boolean chunked) throws IOException {
    try (Socket s = new Socket("127.0.0.1", gw.node().proxyPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: a\r\n"
          + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + BODY + "\r\n") + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      byte[] piece = new byte[50_000];
      try {
        for (int sent = 0; sent < BODY; sent += piece.length) {
          if (chunked) {
            out.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          }
          out.write(piece);
          if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
          }
        }
        if (chunked) {
          out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
      } catch (IOException e) {
        // The node ended its side while we were still sending: the answer must be readable all the same.
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      int n;
      try {
        while ((n = in.read(buf)) > 0) {
          got.write(buf, 0, n);
        }
      } catch (IOException e) {
        return "reset after " + got.size() + " bytes: " + e.getMessage();
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void a_policy_refusal_and_a_413_reach_a_client_that_sends_its_whole_body_first() throws Exception {
    gw.key(gw.consumer("alice"));
    gw.plugin("key-auth", "api", new JsonObject());
    gw.plugin("request-size-limiting", "open", new JsonObject().put("allowed_payload_size", 1));
    for (int i = 0; i < 5; i++) {
      String refused = upload("/api/upload", i % 2 == 0);
      assertTrue(refused.startsWith("HTTP/1.1 401 "), "try " + i + ": " + refused);
      assertTrue(refused.contains("\"unauthorized\""), refused);
      String tooLarge = upload("/open/upload", i % 2 == 0);
      assertTrue(tooLarge.startsWith("HTTP/1.1 413 "), "try " + i + ": " + tooLarge);
    }
    assertEquals(0, gw.backend.completed.size(), "no refused body reached the target whole");
  }
}
