package io.sluice.tls;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSsl;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tls.ciphers is checked against the engine that will run it, before any listener takes it. */
class CipherSuitesTest {

  private static NodeSettings.Tls tls(String ciphers, String engine) {
    return new NodeSettings.Tls("TLSv1.2,TLSv1.3", ciphers, true, "request", engine);
  }

  @Test
  void the_default_list_and_known_suites_are_accepted_by_both_engines() {
    assertTrue(OpenSsl.isAvailable(), "BoringSSL loads in the build: " + OpenSsl.unavailabilityCause());
    for (String engine : List.of("openssl", "jdk")) {
      assertDoesNotThrow(() -> CipherSuites.check(tls("", engine)), engine);
      assertDoesNotThrow(() -> CipherSuites.check(tls(String.join(",", TlsOptions.MODERN_CIPHERS), engine)), engine);
      assertDoesNotThrow(() -> CipherSuites.check(tls(" TLS_AES_128_GCM_SHA256 ,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          engine)), engine);
    }
  }

  @Test
  void an_unknown_suite_is_refused_naming_the_key_and_the_suite() {
    for (String engine : List.of("openssl", "jdk")) {
      SettingsException e = assertThrows(SettingsException.class,
          () -> CipherSuites.check(tls("NOPE_CIPHER", engine)));
      assertEquals(List.of("tls.ciphers: not supported by the " + engine + " TLS engine: NOPE_CIPHER"),
          e.problems());
    }
  }

  @Test
  void a_list_with_some_unknown_suites_is_refused_naming_only_those() {
    for (String engine : List.of("openssl", "jdk")) {
      SettingsException e = assertThrows(SettingsException.class, () -> CipherSuites.check(
          tls("TLS_AES_128_GCM_SHA256,NOPE_ONE,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_NOPE_TWO", engine)));
      assertEquals(List.of("tls.ciphers: not supported by the " + engine + " TLS engine: NOPE_ONE, TLS_NOPE_TWO"),
          e.problems());
    }
  }
}
