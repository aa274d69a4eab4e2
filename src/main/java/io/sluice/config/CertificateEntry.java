package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * A TLS certificate as a declarative file declares it, by name: its tenant (none: the operator's), the PEM chain,
 * the server names (SNIs) it answers, and its private key, never in clear in an export: {@code key_ref} names the
 * stored (sealed) key, {@code key} gives a new one (PEM), sealed on apply. {@code sealed} is not in the file: the
 * admin API fills it in from {@code key} (checked against the chain) before the store writes it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "tenant", "cert", "key_ref", "key", "snis"})
public record CertificateEntry(String name, String tenant, String cert, @JsonProperty("key_ref") String keyRef,
                               String key, List<String> snis, @JsonIgnore Sealed sealed) {

  public CertificateEntry {
    snis = snis == null ? List.of() : snis;
  }

  /** What the store writes of a new key: sealed (base64) and what was read from the leaf. */
  public record Sealed(String keyEnc, String subject, List<String> names, String notAfter, String fingerprint) {}

  /** The same certificate with its key sealed (and the key in clear dropped). */
  public CertificateEntry withSealed(Sealed sealed) {
    return new CertificateEntry(name, tenant, cert, keyRef, null, snis, sealed);
  }

  /** The certificate as a diff compares it: no secrets, SNIs sorted. */
  @JsonIgnore
  public CertificateEntry compared() {
    return new CertificateEntry(name, tenant, cert, null, null, snis.stream().sorted().toList(), null);
  }

  CertificateEntry sorted() {
    return new CertificateEntry(name, tenant, cert, keyRef, key, snis.stream().sorted().toList(), sealed);
  }
}
