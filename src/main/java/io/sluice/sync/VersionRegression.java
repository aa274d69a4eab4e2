package io.sluice.sync;

import io.sluice.bus.ConfigChanged;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the applier keeps while the cluster's version goes back (a database restored from an older backup, or its
 * counter set back): the applied version is then not this database's, so the next reload replaces it whatever the
 * cluster's version, the regression is handled once however it is noticed (the leader's event, the published
 * version, PostgreSQL's own version read around the cluster), and the new database's events are kept from the
 * version it went back to. Touched only on the applier's context.
 */
final class VersionRegression {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);

  /**
   * The next reload replaces what this node applied whatever the cluster's version: the cluster's version went
   * back, so the applied one is not this database's.
   */
  private boolean distrust;
  /** The applied version a regression replaced last (-1: none): that regression's event is not handled again. */
  private long regressedFrom = -1;
  /**
   * While a regression's reload runs: the version it goes back to, above which events are kept (the applied version
   * is still the old database's, and the new one's next events would look old beside it). -1 otherwise.
   */
  private long followFrom = -1;

  /** PostgreSQL holds {@code version}, below the {@code applied} one: the node reads it around the cluster. */
  void storeWentBack(long version, long applied) {
    LOG.warn("configuration: PostgreSQL holds version {}, below the {} this node applied (a database restored"
        + " from an older backup, or its counter set back): what it applied is void, reading the whole"
        + " configuration from PostgreSQL and following its version from here on", version, applied);
    regressedFrom = applied;
    followFrom = version;
  }

  /**
   * Whether {@code e} is the leader's word that the cluster's version went back below {@code applied}, not handled
   * yet: if so the next reload is not to trust the applied version.
   */
  boolean event(ConfigChanged e, long applied) {
    if (!e.regressed() || e.version() >= applied || e.previous() == regressedFrom) {
      return false;
    }
    LOG.warn("configuration: the cluster's version went back from {} to {} (a database restored from an older"
        + " backup, or its counter set back): reloading the whole configuration", e.previous(), e.version());
    regressedFrom = e.previous();
    followFrom = e.version();
    distrust = true;
    return true;
  }

  /** Events at or below this version are not applied: the applied one, or the one a regression goes back to. */
  long floor(long applied) {
    return followFrom >= 0 ? followFrom : applied;
  }

  /** Whether the reload starting now is not to trust the applied version (asked once per reload). */
  boolean takeDistrust() {
    boolean was = distrust;
    distrust = false;
    return was;
  }

  /** A reload that took {@link #takeDistrust} failed: it is tried again, still not trusting the applied version. */
  void reloadFailed(boolean distrusted) {
    distrust |= distrusted;
  }

  /**
   * A reload found the cluster's published version {@code published} below {@code applied}: the node missed the event
   * that said so (it waited a gap, or the reconcile looked twice), or it is that event's reload.
   */
  void publishedBelow(long published, long applied, boolean distrusted) {
    if (!distrusted && regressedFrom != applied) {
      LOG.warn("configuration: the cluster's version {} is below the {} this node applied (a database restored"
          + " from an older backup, or its counter set back): reloading the whole configuration", published, applied);
      regressedFrom = applied;
    }
    followFrom = published;
  }

  /** A version was applied: events are compared with it again. */
  void applied() {
    followFrom = -1;
  }
}
