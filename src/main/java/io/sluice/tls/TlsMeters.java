package io.sluice.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.netty.handler.ssl.NotSslRecordException;
import javax.net.ssl.SSLException;
import io.sluice.metrics.Meters;

/** Handshakes of a TLS listener: completed, and failed by reason (bound once per listener, not per handshake). */
public final class TlsMeters {

  public static final String HANDSHAKES = Meters.TLS_HANDSHAKES;
  public static final String FAILURES = Meters.TLS_HANDSHAKE_FAILURES;

  private final MeterRegistry registry;
  private final String listener;
  private final Counter ok;
  private final Map<String, Counter> failures = new ConcurrentHashMap<>();

  public TlsMeters(MeterRegistry registry, String listener) {
    this.registry = registry;
    this.listener = listener;
    this.ok = Counter.builder(HANDSHAKES).description("TLS handshakes completed").tag("listener", listener)
        .register(registry);
    for (String reason : new String[] {"no_certificate", "no_certificate_or_cipher", "protocol", "cipher",
        "client_certificate", "not_tls", "other"}) {
      failure(reason);
    }
  }

  public void completed() {
    ok.increment();
  }

  /** Counts {@code error} when it is a TLS failure; false for other errors (not counted). */
  public boolean failed(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SSLException ssl) {
        failure(reason(ssl)).increment();
        return true;
      }
    }
    return false;
  }

  private Counter failure(String reason) {
    return failures.computeIfAbsent(reason, r -> Counter.builder(FAILURES)
        .description("TLS handshakes refused or failed, by reason").tags("listener", listener, "reason", r)
        .register(registry));
  }

  /** A small fixed set of reasons (labels stay bounded whatever the peers send). */
  static String reason(SSLException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (e instanceof NotSslRecordException || m.contains("not an ssl/tls record")) {
      return "not_tls"; // plain HTTP (or anything else) sent to the TLS port
    }
    if (m.contains("no cipher suites in common")) {
      // The JDK says this both for a TLS 1.2 client whose server name has no certificate and for one that
      // shares no cipher suite; TLS 1.3 tells the two apart (below).
      return "no_certificate_or_cipher";
    }
    if (m.contains("authentication scheme") || m.contains("unrecognized_name") || m.contains("no suitable certificate")
        // a name no SNI matches, refused with unrecognized_name (UnrecognizedNames): the JDK's words, BoringSSL's
        || m.contains("unrecognized server name") || m.contains("clienthello_tlsext")
        // Netty's words with BoringSSL (tls.engine openssl) when the key manager found no certificate
        || m.contains("unable to find key material")) {
      return "no_certificate";
    }
    if (m.contains("protocol") || m.contains("version")) {
      return "protocol";
    }
    if (m.contains("cipher")) {
      return "cipher";
    }
    if (m.contains("certificate") || m.contains("certpath")) {
      return "client_certificate";
    }
    return "other";
  }
}
