package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Answers read slowly but steadily, for several times the admin listener's idle timeout, arrive whole: the idle
 * timer starts when the last chunk is handed to Netty, but Vert.x hands chunks over only while the channel is
 * writable (a few tens of KB queued at most), the kernel's send buffer takes those well within the timeout, and a
 * close leaves what the kernel holds to be delivered. A guard of that, for an export ({@code GET /config}) and for a
 * big answer written at once (a page of consumers).
 */
class ExportSlowReaderTest {

  private static final String TOKEN = "export-token";
  private static final int IDLE_S = 1;
  /**
   * An export of a few MB, well past {@link #SLOW_TAIL} (about 3.6 MB, its consumers still coming from the cursor
   * while the tail is read): the first part read at full speed, so that the test is short.
   */
  private static final int CONSUMERS = 30_000;
  /**
   * The last part, read slowly: more than the server's socket send buffer holds, so that bytes are still queued in
   * the server when its last chunk is handed over and the reader takes longer than the idle timeout to get them.
   */
  private static final int SLOW_TAIL = 1536 * 1024;
  /** The reader's pace over the tail: 16 KB every 80 ms, about 200 KB/s, slow but never stopping. */
  private static final int STEP_BYTES = 16 * 1024;
  private static final long STEP_MS = 80;

  @Test
  void a_slow_but_steady_reader_of_an_export_gets_the_whole_file() throws Exception {
    try (TestDatabase db = TestDatabase.migrated();
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9), Map.of("SLUICE_PG_URL", db.url(),
             "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_ADMIN_IDLE_TIMEOUT_S", String.valueOf(IDLE_S)))) {
      db.transaction("insert into consumers (tenant_id, username) select t.id, 'user-' || n || '-"
          + "x".repeat(40) + "' from tenants t, generate_series(1, " + CONSUMERS + ") n where t.name = 'default'");
      int whole = export(node, Integer.MAX_VALUE).size(); // read at once: the answer's length
      long start = System.nanoTime();
      Received slow = export(node, whole - SLOW_TAIL);
      long ms = (System.nanoTime() - start) / 1_000_000;
      String text = slow.toString(StandardCharsets.ISO_8859_1);
      assertTrue(ms > 3000L * IDLE_S, "read for several idle timeouts, took " + ms + " ms");
      assertTrue(endsWhole(slow) && slow.size() == whole, "the whole file, " + slow.size() + " of " + whole
          + " bytes read in " + ms + " ms, ending " + text.substring(Math.max(0, text.length() - 120)));
    }
  }

  /**
   * An answer written whole at once (a page of 1000 consumers, about half a MB) to a reader at about 80 KB/s: the
   * bytes still queued in the server once it is handed over are a write under way, not an idle connection.
   */
  @Test
  void a_slow_but_steady_reader_of_a_big_list_gets_all_of_it() throws Exception {
    try (TestDatabase db = TestDatabase.migrated();
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9), Map.of("SLUICE_PG_URL", db.url(),
             "SLUICE_ADMIN_TOKEN", TOKEN, "SLUICE_ADMIN_IDLE_TIMEOUT_S", String.valueOf(IDLE_S)))) {
      db.transaction("insert into consumers (tenant_id, username, custom_id) select t.id, 'user-' || n || '-"
          + "x".repeat(110) + "', 'id-' || n || '-" + "y".repeat(240) + "' from tenants t, generate_series(1, 1000) n"
          + " where t.name = 'default'");
      try (Socket socket = new Socket()) {
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", node.adminPort()), 5000);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(("GET /consumers?limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
            + "Bearer " + TOKEN + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] step = new byte[8192];
        long start = System.nanoTime();
        for (int n; (n = in.readNBytes(step, 0, step.length)) > 0 && !all.toString(StandardCharsets.ISO_8859_1)
            .endsWith("}"); ) {
          all.write(step, 0, n);
          Thread.sleep(100);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        String text = all.toString(StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200"), text.substring(0, Math.min(200, text.length())));
        assertTrue(ms > 3000L * IDLE_S, "read for several idle timeouts, took " + ms + " ms");
        assertTrue(text.endsWith("}"), "all of it, " + all.size() + " bytes in " + ms + " ms, ending "
            + text.substring(Math.max(0, text.length() - 120)));
      }
    }
  }

  /** The answer of GET /config, its first {@code fast} bytes read at once and the rest at the slow pace. */
  private static Received export(TestNode node, int fast) throws Exception {
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", node.adminPort()), 5000);
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(("GET /config HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
          + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      Received all = new Received();
      byte[] step = new byte[STEP_BYTES];
      while (!endsWhole(all)) {
        int n = in.readNBytes(step, 0, all.size() < fast ? Math.min(STEP_BYTES, fast - all.size()) : STEP_BYTES);
        all.write(step, 0, n);
        if (n == 0) {
          break; // the server ended the connection
        }
        if (all.size() >= fast) {
          Thread.sleep(STEP_MS);
        }
      }
      assertTrue(all.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"), "200");
      return all;
    }
  }

  private static boolean endsWhole(Received all) {
    return all.endsWith("\r\n0\r\n\r\n");
  }

  /**
   * What a reader got so far, with a look at its last bytes that does not copy the whole answer (a copy per
   * 16 KB read of a file of MB was seconds of the test).
   */
  private static final class Received extends ByteArrayOutputStream {
    boolean endsWith(String suffix) {
      byte[] s = suffix.getBytes(StandardCharsets.ISO_8859_1);
      if (count < s.length) {
        return false;
      }
      for (int i = 0; i < s.length; i++) {
        if (buf[count - s.length + i] != s[i]) {
          return false;
        }
      }
      return true;
    }
  }
}
