package io.sluice.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The rules of a file's consumers a schema cannot say: one consumer per tenant and username, the username and
 * custom_id each in one form ({@link ConsumerFields#formProblem}: NFC, no space at either end), each API key
 * declared one way only (ref, digest or generate) and once, each JWT credential with the key its algorithm
 * needs (a public key for RS*, PS*, ES*; a secret or secret reference for HS*) and an issuer once per tenant.
 */
final class ConsumerChecks {

  private ConsumerChecks() {}

  /** Every error of {@code consumers}; their keys ("tenant/username") go into {@code named}. */
  static List<FieldError> check(List<ConsumerEntry> consumers, Set<String> named,
                                com.fasterxml.jackson.databind.JsonNode doc) {
    List<FieldError> errors = new ArrayList<>();
    Set<String> digests = new HashSet<>();
    Set<String> issuers = new HashSet<>();
    for (int i = 0; i < consumers.size(); i++) {
      ConsumerEntry c = consumers.get(i);
      String at = "consumers[" + i + "].";
      String consumerKey = c != null ? c.key() : EachEntity.consumerKey(doc, i);
      if (consumerKey != null && !named.add(consumerKey)) {
        errors.add(new FieldError(at + "username", "duplicate consumer " + consumerKey));
      }
      if (c == null || c.keys() == null || c.jwt() == null) {
        continue; // the schema refused it: its own rules cannot be told
      }
      errors.addAll(ConsumerFields.checkDocument(doc.path("consumers").path(i), at));
      for (int k = 0; k < c.keys().size(); k++) {
        ConsumerEntry.KeyEntry key = c.keys().get(k);
        String kat = at + "keys[" + k + "]";
        int ways = (key.ref() != null ? 1 : 0) + (key.digest() != null ? 1 : 0) + (key.generated() ? 1 : 0);
        if (ways != 1) {
          errors.add(new FieldError(kat, "needs exactly one of ref, digest or generate"));
        } else if (key.named() != null && !digests.add(key.named())) {
          errors.add(new FieldError(kat + (key.ref() != null ? ".ref" : ".digest"), "the same key twice in the file"));
        }
        if (key.generated() && key.prefix() != null) {
          errors.add(new FieldError(kat + ".prefix", "not with generate: a generated key's prefix is its own start"));
        }
      }
      for (int j = 0; j < c.jwt().size(); j++) {
        errors.addAll(checkJwt(c.jwt().get(j), at + "jwt[" + j + "].", Tenants.of(c.tenant()), issuers));
      }
    }
    return errors;
  }

  private static List<FieldError> checkJwt(ConsumerEntry.JwtEntry jwt, String at, String tenant, Set<String> issuers) {
    List<FieldError> errors = new ArrayList<>();
    if (!issuers.add(tenant + "\n" + jwt.issuer())) {
      errors.add(new FieldError(at + "issuer", "the issuer of another JWT credential of tenant " + tenant));
    }
    boolean hs = jwt.algorithm().startsWith("HS");
    if (hs) {
      if ((jwt.secret() == null) == (jwt.secretRef() == null)) {
        errors.add(new FieldError(at + "secret", "needs exactly one of secret or secret_ref for " + jwt.algorithm()));
      }
      if (jwt.publicKey() != null) {
        errors.add(new FieldError(at + "public_key", "not allowed for " + jwt.algorithm()));
      }
      return errors;
    }
    if (jwt.publicKey() == null) {
      errors.add(new FieldError(at + "public_key", "is required for " + jwt.algorithm()));
    } else if (!jwt.publicKey().contains("-----BEGIN PUBLIC KEY-----")) {
      errors.add(new FieldError(at + "public_key", "must be a PEM public key (-----BEGIN PUBLIC KEY-----)"));
    }
    for (String f : List.of("secret", "secret_ref")) {
      if (f.equals("secret") ? jwt.secret() != null : jwt.secretRef() != null) {
        errors.add(new FieldError(at + f, "not allowed for " + jwt.algorithm()));
      }
    }
    return errors;
  }

  /** A consumer-scoped plugin names a consumer of the file; only it names a tenant. */
  static void checkPluginTarget(PluginEntry p, String at, Set<String> consumers, List<FieldError> errors) {
    boolean wantsConsumer = "consumer".equals(p.scope());
    if (wantsConsumer != (p.consumer() != null)) {
      errors.add(new FieldError(at + "consumer", wantsConsumer ? "is required with scope consumer"
          : "only with scope consumer"));
    } else if (wantsConsumer && !consumers.contains(p.target())) {
      errors.add(new FieldError(at + "consumer", "no consumer " + p.target() + " in the file"));
    }
    if (!wantsConsumer && p.tenant() != null) {
      errors.add(new FieldError(at + "tenant", "only with scope consumer"));
    }
  }
}
