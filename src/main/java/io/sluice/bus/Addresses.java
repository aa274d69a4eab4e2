package io.sluice.bus;

/** Every event-bus address Sluice uses, in one place. */
public final class Addresses {

  /** The sync leader publishes {@link ConfigChanged} here; every node applies it. */
  public static final String CONFIG_CHANGED = "sluice.config.changed";
  /** Every node publishes {@link NodeApplied} here after each version it applies. */
  public static final String NODE_APPLIED = "sluice.node.applied";

  private Addresses() {}
}
