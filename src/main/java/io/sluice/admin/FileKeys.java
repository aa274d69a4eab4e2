package io.sluice.admin;

import io.sluice.config.CertificateEntry;
import io.sluice.config.ConfigException;
import io.sluice.config.ConsumerEntry;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import io.sluice.credential.JwtKeys;
import io.sluice.settings.NodeSettings;
import io.sluice.tls.KeySealer;
import io.sluice.tls.Material;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The keys a declarative file gives, checked as the admin API checks one entity's and made ready to store: every
 * JWT public key and new HS secret parses as its algorithm needs, and every certificate's new private key belongs
 * to its chain (which parses and has not expired), then is sealed; the key in clear goes no further than here.
 * Each failing field is named by its path in the file.
 */
final class FileKeys {

  private FileKeys() {}

  static GatewayConfig check(GatewayConfig config, NodeSettings settings) {
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; config.hasConsumers() && i < config.consumers().size(); i++) {
      List<ConsumerEntry.JwtEntry> jwt = config.consumers().get(i).jwt();
      for (int j = 0; j < jwt.size(); j++) {
        ConsumerEntry.JwtEntry e = jwt.get(j);
        String key = e.publicKey() != null ? e.publicKey() : e.secret();
        String problem = key == null ? null : JwtKeys.problem(e.algorithm(), key);
        if (problem != null) {
          errors.add(new FieldError("consumers[" + i + "].jwt[" + j + "]." + (e.publicKey() != null ? "public_key"
              : "secret"), "not a usable " + e.algorithm() + " key: " + problem));
        }
      }
    }
    List<CertificateEntry> certificates = config.certificates();
    if (certificates != null) {
      KeySealer sealer = new KeySealer(KeySealer.secretOf(settings.keys().encryptionSecret(),
          settings.keys().hmacSecret()));
      certificates = new ArrayList<>();
      for (int i = 0; i < config.certificates().size(); i++) {
        certificates.add(seal(config.certificates().get(i), "certificates[" + i + "].", sealer, errors));
      }
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new GatewayConfig(config.formatVersion(), config.services(), config.routes(), config.plugins(),
        config.consumers(), certificates, config.tenants());
  }

  /** The certificate with its new key checked and sealed (unchanged when it gives none). */
  private static CertificateEntry seal(CertificateEntry c, String at, KeySealer sealer, List<FieldError> errors) {
    if (c.key() == null) {
      return c;
    }
    List<FieldError> found = new ArrayList<>();
    Material m = Material.check(c.cert(), c.key(), Instant.now(), found);
    found.forEach(e -> errors.add(new FieldError(at + e.field(), e.reason())));
    if (m == null || !found.isEmpty()) {
      return c;
    }
    return c.withSealed(new CertificateEntry.Sealed(
        Base64.getEncoder().encodeToString(sealer.seal(m.keyPkcs8(), m.fingerprint())), m.subject(), m.names(),
        m.notAfter().toString(), m.fingerprint()));
  }
}
