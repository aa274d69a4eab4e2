package io.sluice.store;

import com.fasterxml.jackson.databind.node.TextNode;
import io.sluice.config.CertificateEntry;
import io.sluice.config.FieldDiff;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a file's certificates change, by name, and their SNIs, by server name: a certificate is created (its
 * {@code key} given, sealed by the admin API), updated (a new key, or its tenant) or deleted; an SNI is created,
 * moved to another certificate or deleted. The private key is never in the file: {@code key_ref} keeps the stored
 * one, and one that names a key that no longer exists (the certificate deleted or re-keyed since), or a changed
 * chain without its key, lands in {@link #missing}: the caller refuses the whole file.
 */
final class CertificateDiff {

  final List<CertificateEntry> toCreate = new ArrayList<>();
  final List<CertificateEntry> toUpdate = new ArrayList<>();
  final List<String> toDelete = new ArrayList<>();
  /** SNI name to the name of its certificate. */
  final Map<String, String> snisToCreate = new LinkedHashMap<>();
  final Map<String, String> snisToUpdate = new LinkedHashMap<>();
  /** The certificate an SNI moved away from, by SNI name. */
  private final Map<String, String> snisMovedFrom = new LinkedHashMap<>();
  final List<String> snisToDelete = new ArrayList<>();
  final List<String> missing = new ArrayList<>();
  private final Map<String, List<FieldDiff.Change>> fields = new LinkedHashMap<>();

  CertificateDiff(List<CertificateEntry> current, List<CertificateEntry> wanted) {
    Map<String, CertificateEntry> stored = new LinkedHashMap<>();
    Map<String, String> storedSnis = new LinkedHashMap<>();
    current.forEach(c -> {
      stored.put(c.name(), c);
      c.snis().forEach(n -> storedSnis.put(n, c.name()));
    });
    for (CertificateEntry w : wanted) {
      CertificateEntry old = stored.remove(w.name());
      if (w.sealed() == null && (old == null || !w.keyRef().equals(old.keyRef()))) {
        missing.add("the private key (" + ConsumerDiff.shortRef(w.keyRef()) + ") of certificate " + w.name()
            + " no longer exists: give its key (PEM)");
      } else if (old == null) {
        toCreate.add(w);
      } else if (w.sealed() == null && !Objects.equals(old.cert(), w.cert())) {
        missing.add("certificate " + w.name() + " has a new cert: give its key (PEM) too");
      } else if (rekeyed(old, w) || !Objects.equals(old.tenant(), w.tenant())) {
        toUpdate.add(w);
        List<FieldDiff.Change> changed = new ArrayList<>(FieldDiff.between(bare(old), bare(w)));
        if (rekeyed(old, w)) {
          changed.add(new FieldDiff.Change("key_ref", TextNode.valueOf(old.keyRef()), TextNode.valueOf("(new key)")));
        }
        fields.put(w.name(), changed);
      }
      w.snis().forEach(n -> {
        String was = storedSnis.remove(n);
        if (was == null) {
          snisToCreate.put(n, w.name());
        } else if (!was.equals(w.name())) {
          snisToUpdate.put(n, w.name());
          snisMovedFrom.put(n, was);
        }
      });
    }
    toDelete.addAll(stored.keySet());
    snisToDelete.addAll(storedSnis.keySet());
  }

  /**
   * Whether the file gives a key other than the stored one: the same key of the same certificate is sealed to the
   * same bytes ({@link io.sluice.tls.KeySealer}), so a file that carries it on every apply changes nothing.
   */
  private static boolean rekeyed(CertificateEntry old, CertificateEntry w) {
    if (w.sealed() == null) {
      return false;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Base64.getDecoder().decode(w.sealed().keyEnc()));
      return !("sha256:" + HexFormat.of().formatHex(digest)).equals(old.keyRef());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static CertificateEntry bare(CertificateEntry c) {
    return new CertificateEntry(c.name(), c.tenant(), c.cert(), null, null, null, null);
  }

  /** Changes in the order they are written: "upsert" certificates, "sni", "delete" certificates. */
  void items(List<ConfigDiff.Item> out, String phase) {
    switch (phase) {
      case "upsert" -> {
        toCreate.forEach(c -> out.add(new ConfigDiff.Item("certificate", c.name(), "create")));
        toUpdate.forEach(c -> out.add(new ConfigDiff.Item("certificate", c.name(), "update", fields.get(c.name()))));
      }
      case "sni" -> {
        snisToDelete.forEach(n -> out.add(new ConfigDiff.Item("sni", n, "delete")));
        snisToCreate.forEach((n, c) -> out.add(new ConfigDiff.Item("sni", n, "create")));
        snisToUpdate.forEach((n, c) -> out.add(new ConfigDiff.Item("sni", n, "update", List.of(new FieldDiff.Change(
            "certificate", TextNode.valueOf(snisMovedFrom.get(n)), TextNode.valueOf(c))))));
      }
      default -> toDelete.forEach(c -> out.add(new ConfigDiff.Item("certificate", c, "delete")));
    }
  }
}
