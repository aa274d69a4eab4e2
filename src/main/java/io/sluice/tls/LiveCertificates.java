package io.sluice.tls;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import io.sluice.metrics.Meters;

/**
 * The node's certificates as of its applied configuration version: swapped whole by the sync path, read by
 * every handshake ({@link SniKeyManager}). Keeps the set before the last swap too, so that a handshake that
 * chose an alias just before a rotation still finds its material. Publishes each certificate's expiry.
 */
public final class LiveCertificates {

  /** Expiry of each certificate served, as a Unix time in seconds (alert: less than 14 days from now). */
  public static final String EXPIRY = Meters.TLS_CERTIFICATE_EXPIRY;

  private volatile CertificateSet current = CertificateSet.EMPTY;
  private volatile CertificateSet previous = CertificateSet.EMPTY;
  private final MultiGauge expiry;

  public LiveCertificates(MeterRegistry registry) {
    this.expiry = MultiGauge.builder(EXPIRY).baseUnit("seconds")
        .description("When each certificate the proxy serves expires (Unix time, seconds)").register(registry);
  }

  public CertificateSet current() {
    return current;
  }

  public void swap(CertificateSet next) {
    previous = current;
    current = next;
    expiry.register(next.certificates().stream().map(e -> MultiGauge.Row.of(
        Tags.of("certificate", e.id(), "subject", e.subject()), e.notAfter().getEpochSecond())).toList(), true);
  }

  CertificateSet.Entry byAlias(String alias) {
    CertificateSet.Entry e = current.byAlias(alias);
    return e != null ? e : previous.byAlias(alias);
  }

  /**
   * The alias (leaf fingerprint) of certificate entity {@code id} now, or null when this node does not hold it:
   * what a service's client certificate is at the moment (a rotation changes it).
   */
  public String aliasOf(String id) {
    CertificateSet.Entry e = current.byId(id);
    return e == null ? null : e.alias();
  }

  /** Every certificate served now. */
  public List<CertificateSet.Entry> served() {
    return current.certificates();
  }
}
