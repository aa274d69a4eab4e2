package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /config} to a client that stops reading: the export waits on the response's write queue (the consumer
 * cursor paused), and once the client has read nothing for the admin listener's idle timeout the connection is
 * closed, the file cut short without its last chunk, so that the client cannot take it for a whole one and the
 * cursor's PostgreSQL connection is not held.
 */
class ExportStalledClientTest {

  private static final String TOKEN = "export-token";
  private static final int IDLE_S = 2;
  /** Enough consumers that the export outgrows the socket buffers of both ends and the write queue. */
  private static final int CONSUMERS = 150_000;

  @Test
  void a_client_that_stops_reading_an_export_is_closed_after_the_idle_timeout() throws Exception {
    try (TestDatabase db = TestDatabase.migrated();
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9), Map.of("SLUICE_PG_URL", db.url(),
             "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_ADMIN_IDLE_TIMEOUT_S", String.valueOf(IDLE_S)))) {
      db.transaction("insert into consumers (tenant_id, username) select t.id, 'user-' || n || '-"
          + "x".repeat(40) + "' from tenants t, generate_series(1, " + CONSUMERS + ") n where t.name = 'default'");
      try (Socket socket = new Socket()) {
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", node.adminPort()), 5000);
        socket.getOutputStream().write(("GET /config HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
            + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        byte[] first = in.readNBytes(1024);
        assertTrue(new String(first, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"),
            new String(first, StandardCharsets.ISO_8859_1));
        Thread.sleep(IDLE_S * 1000L + 2500); // reads nothing: longer than the idle timeout
        socket.setSoTimeout(20_000);
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        boolean ended = false;
        try {
          in.transferTo(rest);
          ended = true;
        } catch (SocketTimeoutException e) {
          ended = false; // the server still holds the connection open
        } catch (IOException reset) {
          ended = true;
        }
        assertTrue(ended, "the server closed the connection; " + rest.size() + " bytes read after the stall");
        String tail = rest.toString(StandardCharsets.ISO_8859_1);
        assertTrue(!tail.endsWith("0\r\n\r\n"), "the export was cut short, not ended as a whole file: "
            + tail.substring(Math.max(0, tail.length() - 200)));
      }
    }
  }
}
