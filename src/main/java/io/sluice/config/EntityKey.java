package io.sluice.config;

import java.util.UUID;

/**
 * One configuration entity by type and id. {@link #encode} is its one string form ({@code table:id}, for
 * instance {@code routes:6f1c...}), used wherever a map key or a bus message needs a string.
 */
public record EntityKey(EntityType type, UUID id) {

  public EntityKey {
    if (type == null || id == null) {
      throw new IllegalArgumentException("an entity key needs a type and an id");
    }
  }

  public static EntityKey of(EntityType type, String id) {
    return new EntityKey(type, UUID.fromString(id));
  }

  public String encode() {
    return type.table() + ":" + id;
  }

  /** The key {@link #encode} gave; IllegalArgumentException for any other string. */
  public static EntityKey decode(String encoded) {
    int colon = encoded.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("not an entity key: " + encoded);
    }
    return new EntityKey(EntityType.ofTable(encoded.substring(0, colon)), UUID.fromString(encoded.substring(colon + 1)));
  }

  @Override
  public String toString() {
    return encode();
  }
}
