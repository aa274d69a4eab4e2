package io.sluice.store;

import io.sluice.config.ConsumerEntry;
import io.sluice.config.ConsumerEntry.JwtEntry;
import io.sluice.config.ConsumerEntry.KeyEntry;
import io.sluice.config.FieldDiff;
import io.sluice.config.Tenants;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a file's consumers change, by tenant and username: consumers created, updated (custom_id, groups) or
 * deleted, and their credentials. An API key is named by its digest: a {@code ref} or {@code digest} the consumer
 * holds is kept, a {@code digest} it does not is created, a {@code generate} creates a new key, and a stored key
 * the file does not name is deleted. A JWT credential is named by its issuer, its HS secret by reference. A
 * {@code ref} or {@code secret_ref} naming a secret that does not exist (deleted since) cannot be honoured, since
 * a secret is never in the file: it lands in {@link #missing}, and the caller refuses the whole file.
 */
final class ConsumerDiff {

  /** A credential change of one consumer ({@code tenant}, {@code username}). */
  record Cred<T>(String tenant, String username, T entry) {

    String consumer() {
      return tenant + "/" + username;
    }
  }

  final List<ConsumerEntry> toCreate = new ArrayList<>();
  final List<ConsumerEntry> toUpdate = new ArrayList<>();
  final List<ConsumerEntry> toDelete = new ArrayList<>();
  final List<Cred<KeyEntry>> keysToCreate = new ArrayList<>();
  final List<Cred<KeyEntry>> keysToDelete = new ArrayList<>();
  final List<Cred<JwtEntry>> jwtToCreate = new ArrayList<>();
  final List<Cred<JwtEntry>> jwtToUpdate = new ArrayList<>();
  final List<Cred<JwtEntry>> jwtToDelete = new ArrayList<>();
  /** Secrets the file needs that no longer exist, each named for a person. */
  final List<String> missing = new ArrayList<>();
  private final Map<String, List<FieldDiff.Change>> fields = new LinkedHashMap<>();

  ConsumerDiff(List<ConsumerEntry> current, List<ConsumerEntry> wanted) {
    Map<String, ConsumerEntry> stored = new LinkedHashMap<>();
    current.forEach(c -> stored.put(c.key(), c.withTenant(Tenants.of(c.tenant()))));
    for (ConsumerEntry w : wanted) {
      ConsumerEntry c = w.withTenant(Tenants.of(w.tenant()));
      ConsumerEntry old = stored.remove(c.key());
      if (old == null) {
        toCreate.add(c);
      } else if (!bare(old).equals(bare(c))) {
        toUpdate.add(c);
        fields.put("consumer " + c.key(), FieldDiff.between(bare(old), bare(c)));
      }
      keys(c, old == null ? List.of() : old.keys());
      jwt(c, old == null ? List.of() : old.jwt());
    }
    for (ConsumerEntry gone : stored.values()) {
      toDelete.add(gone);
      gone.keys().forEach(k -> keysToDelete.add(new Cred<>(gone.tenant(), gone.username(), k)));
      gone.jwt().forEach(j -> jwtToDelete.add(new Cred<>(gone.tenant(), gone.username(), j)));
    }
  }

  /** The consumers ({@code tenant/username}) created, updated, or whose credentials change. */
  java.util.Set<String> written() {
    java.util.Set<String> out = new java.util.HashSet<>();
    toCreate.forEach(c -> out.add(c.key()));
    toUpdate.forEach(c -> out.add(c.key()));
    for (List<? extends Cred<?>> creds : List.of(keysToCreate, keysToDelete, jwtToCreate, jwtToUpdate, jwtToDelete)) {
      creds.forEach(c -> out.add(c.consumer()));
    }
    return out;
  }

  /** The consumer's own fields (what an update of it changes). */
  private static ConsumerEntry bare(ConsumerEntry c) {
    return new ConsumerEntry(c.tenant(), c.username(), c.customId(), c.groups(), null, null);
  }

  private void keys(ConsumerEntry c, List<KeyEntry> old) {
    Map<String, KeyEntry> stored = new LinkedHashMap<>();
    old.forEach(k -> stored.put(k.named(), k));
    for (KeyEntry k : c.keys()) {
      if (k.generated()) {
        keysToCreate.add(new Cred<>(c.tenant(), c.username(), k));
      } else if (stored.remove(k.named()) == null) {
        if (k.ref() != null) {
          missing.add("API key " + (k.prefix() == null ? "" : k.prefix() + " ") + "(" + shortRef(k.ref())
              + ") of consumer " + c.key() + " no longer exists");
        } else {
          keysToCreate.add(new Cred<>(c.tenant(), c.username(), k));
        }
      }
    }
    stored.values().forEach(k -> keysToDelete.add(new Cred<>(c.tenant(), c.username(), k)));
  }

  private void jwt(ConsumerEntry c, List<JwtEntry> old) {
    Map<String, JwtEntry> stored = new LinkedHashMap<>();
    old.forEach(j -> stored.put(j.issuer(), j));
    for (JwtEntry j : c.jwt()) {
      JwtEntry before = stored.remove(j.issuer());
      if (j.secretRef() != null && (before == null || !j.secretRef().equals(before.secretRef()))) {
        missing.add("the HS secret (" + shortRef(j.secretRef()) + ") of JWT credential " + j.issuer()
            + " of consumer " + c.key() + " no longer exists");
      } else if (before == null) {
        jwtToCreate.add(new Cred<>(c.tenant(), c.username(), j));
      } else if (j.secret() != null || !Objects.equals(before.algorithm(), j.algorithm())
          || !Objects.equals(before.publicKey(), j.publicKey())) {
        jwtToUpdate.add(new Cred<>(c.tenant(), c.username(), j));
        fields.put("jwt " + c.key() + " " + j.issuer(), FieldDiff.between(before,
            j.secret() == null ? j : new JwtEntry(j.issuer(), j.algorithm(), null, "(new secret)", null)));
      }
    }
    stored.values().forEach(j -> jwtToDelete.add(new Cred<>(c.tenant(), c.username(), j)));
  }

  /** The start of a reference, enough to tell keys apart in a message or a diff. */
  static String shortRef(String ref) {
    int colon = ref.indexOf(':');
    return ref.substring(0, Math.min(ref.length(), colon + 13)) + "…";
  }

  /** How a diff names a key: its consumer, and its prefix or the start of its digest. */
  static String keyName(Cred<KeyEntry> k) {
    KeyEntry e = k.entry();
    return k.consumer() + " " + (e.generated() ? "(generated)" : e.prefix() != null ? e.prefix() : shortRef(e.named()));
  }

  /**
   * The changes of one {@code phase} of the write, in its order: "upsert" (consumers created or updated),
   * "credentials-delete", "credentials-write" (created or updated), and anything else: consumers deleted.
   */
  void items(List<ConfigDiff.Item> out, String phase) {
    switch (phase) {
      case "upsert" -> {
        toCreate.forEach(c -> out.add(new ConfigDiff.Item("consumer", c.key(), "create")));
        toUpdate.forEach(c -> out.add(new ConfigDiff.Item("consumer", c.key(), "update",
            fields.get("consumer " + c.key()))));
      }
      case "credentials-delete" -> {
        keysToDelete.forEach(k -> out.add(new ConfigDiff.Item("key", keyName(k), "delete")));
        jwtToDelete.forEach(j -> out.add(new ConfigDiff.Item("jwt", j.consumer() + " " + j.entry().issuer(), "delete")));
      }
      case "credentials-write" -> {
        keysToCreate.forEach(k -> out.add(new ConfigDiff.Item("key", keyName(k), "create")));
        jwtToCreate.forEach(j -> out.add(new ConfigDiff.Item("jwt", j.consumer() + " " + j.entry().issuer(), "create")));
        jwtToUpdate.forEach(j -> out.add(new ConfigDiff.Item("jwt", j.consumer() + " " + j.entry().issuer(), "update",
            fields.get("jwt " + j.consumer() + " " + j.entry().issuer()))));
      }
      default -> toDelete.forEach(c -> out.add(new ConfigDiff.Item("consumer", c.key(), "delete")));
    }
  }
}
