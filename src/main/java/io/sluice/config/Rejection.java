package io.sluice.config;

/**
 * An entity a node did not apply as written: which one ({@code id}, and its {@code name} where it has one),
 * why, and the configuration version that wrote the state refused ({@code version}: its {@code changed_in},
 * or that of the entity it depends on when that is the cause; 0 when unknown). {@code kept} says whether
 * the node serves the entity's last good state instead; otherwise the entity (and what depends on it) is
 * left out of the route table.
 */
public record Rejection(EntityType type, String id, String name, String reason, long version, boolean kept) {

  /** The same rejection, as of another version (when the cause is another entity, changed later). */
  public Rejection atLeast(long other) {
    return other <= version ? this : new Rejection(type, id, name, reason, other, kept);
  }
}
