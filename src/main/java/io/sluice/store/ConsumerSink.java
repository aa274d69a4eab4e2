package io.sluice.store;

import io.sluice.config.ConsumerEntry;
import io.vertx.core.Future;

/**
 * Where an export's consumers go, one at a time in the file's order ({@link ConfigStore#exportFile}): the reader
 * stops when the sink is full and goes on when it says it is ready, so that a slow client holds the database
 * cursor back instead of filling the heap.
 */
public interface ConsumerSink {

  /**
   * Takes the next consumer; false when the reader must wait for {@link #whenReady}. Throws when the export
   * cannot go on (the client went away): the reader stops and the export fails.
   */
  boolean accept(ConsumerEntry consumer);

  /** Calls {@code resume} once the sink takes consumers again (or once it fails, so that the reader learns it). */
  void whenReady(Runnable resume);

  /** The last consumer was given: finish the file. */
  Future<Void> end();
}
