package io.sluice.bus;

/** Every event-bus address Sluice uses, in one place. */
public final class Addresses {

  /** The sync leader publishes {@link ConfigChanged} here; every node applies it. */
  public static final String CONFIG_CHANGED = "sluice.config.changed";
  /** Every node publishes {@link NodeApplied} here after each version it applies. */
  public static final String NODE_APPLIED = "sluice.node.applied";

  /**
   * The admin API publishes the digest (hex) of a stream token it deleted here; every node closes the
   * sockets opened with it (4401).
   */
  public static final String STREAM_TOKEN_REVOKED = "sluice.stream.token.revoked";

  private Addresses() {}
}
