package io.sluice.stream.serve;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.settings.NodeSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stream listener never agrees to compress WebSocket frames: a deflated frame within the frame bound inflates
 * about a thousandfold before any message bound is checked, and a client may send frames before its token is checked.
 * A client offering permessage-deflate (every browser does) gets a plain WebSocket.
 */
@ExtendWith(VertxExtension.class)
class StreamCompressionTest {

  @Test
  void a_client_offering_compression_gets_plain_frames(Vertx vertx) throws Exception {
    // No token store and no feed: the handshake is all this needs (the socket is then closed 4401).
    NodeSettings.Stream settings = new NodeSettings.Stream(true, "127.0.0.1", 0, "cursor-secret", 10_000, 100, null,
        null, null, 10_000, 30_000, 75);
    StreamVerticle stream = new StreamVerticle(settings, null, null, "hmac-secret");
    vertx.deployVerticle(stream).await();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", stream.actualPort()));
      s.setSoTimeout(5000);
      s.getOutputStream().write(("GET " + StreamVerticle.PATH + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits,"
          + " x-webkit-deflate-frame\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      String head = head(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 101 "), head);
      assertFalse(head.toLowerCase(Locale.ROOT).contains("sec-websocket-extensions"), "no extension agreed: " + head);
    }
  }

  /** The answer's head, up to its blank line (the frames after it are not read). */
  private static String head(InputStream in) throws Exception {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertTrue(b >= 0, "ended before its head: " + head.toString(StandardCharsets.ISO_8859_1));
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }
}
