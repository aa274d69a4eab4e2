package io.sluice.stream.export;


/**
 * Where the proxy hands the access record of a finished request. Called on the request's event loop:
 * an implementation must neither block nor throw.
 */
@FunctionalInterface
public interface AccessLog {

  /** Export off: records are not even built. */
  AccessLog OFF = null;

  void record(AccessRecord record);

  /**
   * A completion stamp taken now, for a record made later (once the answer's last write has completed): the
   * record then keeps its place in completion order (see {@link Sequencer}). Every stamp reserved must be
   * passed to {@link #record(AccessRecord, long)} exactly once. -1: no ordering (this implementation has none).
   */
  default long reserve() {
    return -1;
  }

  /** {@link #record(AccessRecord)} with a stamp from {@link #reserve} (or -1: stamped now). */
  default void record(AccessRecord record, long stamp) {
    record(record);
  }
}
