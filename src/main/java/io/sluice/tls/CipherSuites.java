package io.sluice.tls;

import io.netty.handler.ssl.OpenSsl;
import io.sluice.settings.NodeSettings;
import io.sluice.settings.SettingsException;
import io.vertx.core.net.OpenSSLEngineOptions;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * tls.ciphers checked against the engine the listeners will run: a suite the engine does not know is refused at
 * start, because the engine would otherwise accept the listener and then fail every handshake on it.
 */
public final class CipherSuites {

  private CipherSuites() {}

  /** The configured suites (empty: {@link TlsOptions#MODERN_CIPHERS}). */
  public static List<String> configured(NodeSettings.Tls tls) {
    return tls.ciphers().isBlank() ? TlsOptions.MODERN_CIPHERS
        : Arrays.stream(tls.ciphers().split(",")).map(String::trim).filter(c -> !c.isEmpty()).distinct().toList();
  }

  /** Throws a {@link SettingsException} naming tls.ciphers and every suite the engine of tls.engine lacks. */
  public static void check(NodeSettings.Tls tls) {
    boolean openssl = TlsOptions.engine(tls) instanceof OpenSSLEngineOptions;
    Set<String> jdk = openssl ? Set.of() : jdkSuites();
    List<String> unknown = configured(tls).stream()
        .filter(c -> openssl ? !OpenSsl.isCipherSuiteAvailable(c) : !jdk.contains(c))
        .toList();
    if (!unknown.isEmpty()) {
      throw new SettingsException(List.of("tls.ciphers: not supported by the " + (openssl ? "openssl" : "jdk")
          + " TLS engine: " + String.join(", ", unknown)));
    }
  }

  private static Set<String> jdkSuites() {
    try {
      return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no default TLS context", e);
    }
  }
}
