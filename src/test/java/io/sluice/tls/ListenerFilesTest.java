package io.sluice.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.SharedKafka;
import io.sluice.testing.TestCa;
import io.sluice.testing.TestNode;
import io.sluice.testing.TlsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin and stream listeners given a certificate in node settings files: https:// and wss://. */
class ListenerFilesTest {

  @TempDir
  Path dir;

  private final TestCa ca = new TestCa("Listener CA");

  @Test
  void admin_and_stream_serve_tls_with_the_certificate_of_their_files() throws Exception {
    TestCa.Issued cert = ca.issue("localhost", Duration.ofDays(30), "localhost");
    Path pem = Files.writeString(dir.resolve("node.pem"), cert.certPem());
    Path key = Files.writeString(dir.resolve("node.key"), cert.keyPem());
    Map<String, String> env = new HashMap<>();
    env.put("SLUICE_PG_URL", "");
    env.put("SLUICE_ADMIN_TLS_CERT_FILE", pem.toString());
    env.put("SLUICE_ADMIN_TLS_KEY_FILE", key.toString());
    env.put("SLUICE_STREAM_ENABLED", "true");
    env.put("SLUICE_STREAM_HOST", "127.0.0.1");
    env.put("SLUICE_STREAM_TLS_CERT_FILE", pem.toString());
    env.put("SLUICE_STREAM_TLS_KEY_FILE", key.toString());
    env.put("SLUICE_KAFKA_BOOTSTRAP", SharedKafka.bootstrap());
    env.put("SLUICE_KAFKA_TOPIC", "listener-tls-" + Long.toHexString(System.nanoTime()));
    env.put("SLUICE_KAFKA_PARTITIONS", "1");
    env.put("SLUICE_SPOOL_DIR", Files.createDirectories(dir.resolve("spool")).toString());
    try (TestNode node = TestNode.start("format_version: 1\nservices: []\nroutes: []\n", env)) {
      try (TlsClient admin = new TlsClient(ca.clientContext(null), node.adminPort(), "localhost")) {
        assertEquals("CN=localhost", admin.leaf().getSubjectX500Principal().getName());
        assertTrue(admin.get("localhost", "/version").startsWith("200 {\"version\""));
      }
      try (TlsClient stream = new TlsClient(ca.clientContext(null), node.streamPort(), "localhost")) {
        // A plain GET of the WebSocket path over TLS: 426 (upgrade required) proves wss:// is served.
        assertTrue(stream.get("localhost", "/v1/stream").startsWith("426"));
      }
    }
  }

  /**
   * Found from outside: a key that is not the certificate's, or a certificate expired, failed the start only once the
   * node had migrated its database and held the sync lock. They are now problems of the settings, each naming them
   * (the launcher exits 2 with them before it reaches the database).
   */
  @Test
  void a_key_of_another_certificate_or_an_expired_certificate_is_a_settings_problem() throws Exception {
    TestCa.Issued cert = ca.issue("localhost", Duration.ofDays(30), "localhost");
    TestCa.Issued other = ca.issue("other", Duration.ofDays(30), "other");
    Path pem = Files.writeString(dir.resolve("node.pem"), cert.certPem());
    Path otherKey = Files.writeString(dir.resolve("other.key"), other.keyPem());
    java.util.List<String> mismatched = TlsOptions.fileProblems("admin", pem.toString(), otherKey.toString());
    assertEquals(1, mismatched.size(), mismatched.toString());
    assertTrue(mismatched.get(0).startsWith("admin.tls_cert_file/admin.tls_key_file: key: "), mismatched.toString());

    java.time.Instant now = java.time.Instant.now();
    TestCa.Issued old = ca.issue("localhost", now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1)), "localhost");
    Path oldPem = Files.writeString(dir.resolve("old.pem"), old.certPem());
    Path oldKey = Files.writeString(dir.resolve("old.key"), old.keyPem());
    java.util.List<String> expired = TlsOptions.fileProblems("stream", oldPem.toString(), oldKey.toString());
    assertEquals(1, expired.size(), expired.toString());
    assertTrue(expired.get(0).startsWith("stream.tls_cert_file/stream.tls_key_file: ") && expired.get(0).contains("expired"),
        expired.toString());

    Path key = Files.writeString(dir.resolve("node.key"), cert.keyPem());
    assertEquals(java.util.List.of(), TlsOptions.fileProblems("admin", pem.toString(), key.toString()));
    assertEquals(java.util.List.of(), TlsOptions.fileProblems("admin", "", ""), "none set: nothing to check");
  }

  @Test
  void a_key_file_without_its_certificate_file_stops_the_start_naming_the_settings() throws Exception {
    TestCa.Issued cert = ca.issue("localhost", Duration.ofDays(30), "localhost");
    Path key = Files.writeString(dir.resolve("node.key"), cert.keyPem());
    Exception e = assertThrows(Exception.class, () -> TestNode.start("format_version: 1\nservices: []\nroutes: []\n",
        Map.of("SLUICE_PG_URL", "", "SLUICE_ADMIN_TLS_KEY_FILE", key.toString())).close());
    String all = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : e.getCause().getMessage());
    assertTrue(all.contains("admin.tls_cert_file"), all);
  }
}
