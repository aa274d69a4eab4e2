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
}
