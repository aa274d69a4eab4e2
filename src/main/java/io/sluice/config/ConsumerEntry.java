package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Comparator;
import java.util.List;

/**
 * A consumer as a declarative file declares it: its tenant and username (its name in a file and a diff, unique
 * within the tenant), and its credentials, which the file carries without their secrets: API keys by digest
 * reference, JWT credentials with their public key or a reference to their sealed HS secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"tenant", "username", "custom_id", "groups", "keys", "jwt"})
public record ConsumerEntry(String tenant, String username, @JsonProperty("custom_id") String customId,
                            List<String> groups, List<KeyEntry> keys, List<JwtEntry> jwt) {

  public ConsumerEntry {
    groups = groups == null ? List.of() : groups;
    keys = keys == null ? List.of() : keys;
    jwt = jwt == null ? List.of() : jwt;
  }

  /** The consumer's key in a diff: "acme/alice" (the default tenant when the file names none). */
  @JsonIgnore
  public String key() {
    return Tenants.of(tenant) + "/" + username;
  }

  /** The same consumer in {@code tenant}. */
  public ConsumerEntry withTenant(String tenant) {
    return new ConsumerEntry(tenant, username, customId, groups, keys, jwt);
  }

  /** The same consumer with its credentials in a stable order (keys by reference, JWT by issuer). */
  public ConsumerEntry sorted() {
    return new ConsumerEntry(Tenants.of(tenant), username, customId, groups,
        keys.stream().sorted(Comparator.comparing(KeyEntry::sortKey)).toList(),
        jwt.stream().sorted(Comparator.comparing(JwtEntry::issuer)).toList());
  }

  /**
   * An API key. Exactly one of: {@code ref} (a key that exists: its digest reference, as exported; the key is
   * kept), {@code digest} (a key known by its digest, created when absent: migrations), {@code generate} (a new
   * key generated on apply and shown once in the apply's answer). {@code prefix}: the readable start of the key.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"prefix", "ref", "digest", "generate"})
  public record KeyEntry(String prefix, String ref, String digest, Boolean generate) {

    /** The digest reference this entry names (ref or digest), or null for a key to generate. */
    @JsonIgnore
    public String named() {
      return ref != null ? ref : digest;
    }

    @JsonIgnore
    public boolean generated() {
      return Boolean.TRUE.equals(generate);
    }

    private String sortKey() {
      return named() == null ? "~" : named();
    }
  }

  /**
   * A JWT credential, by issuer (unique within the tenant): the algorithm, and the public key (RS*, PS*, ES*) or
   * the HS secret: {@code secret_ref} names the stored (sealed) one, as exported; {@code secret} gives a new
   * one, sealed on apply and never exported.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"issuer", "algorithm", "public_key", "secret_ref", "secret"})
  public record JwtEntry(String issuer, String algorithm, @JsonProperty("public_key") String publicKey,
                         @JsonProperty("secret_ref") String secretRef, String secret) {}
}
