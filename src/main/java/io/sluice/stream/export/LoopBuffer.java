package io.sluice.stream.export;

import io.vertx.core.Vertx;

/**
 * The access records of one event loop, handed to the exporter in batches: when {@link #MAX_BATCH}
 * records have gathered or every {@link #FLUSH_MS} ms, so the hot path pays an array store and one atomic
 * increment (the completion stamp, see {@link Sequencer}) per request, and no event-bus hop or lock. A
 * stamp can be reserved when the answer's last write starts ({@link #reserve}) for the record made once it
 * has completed: a client that got its answer and sent another request sees that one's record after.
 * Confined to its event loop, but for {@link #low}, which the exporter reads.
 */
public final class LoopBuffer implements AccessLog {

  /** Big enough that a busy loop hands over a few hundred batches a second, not thousands. */
  static final int MAX_BATCH = 256;
  /** Short against the stream's latency goal (p99 under 250 ms from completion to the WebSocket). */
  static final long FLUSH_MS = 5;
  /** {@link #low} when the buffer holds nothing. */
  static final long NONE = Long.MAX_VALUE;

  private final AccessExporter exporter;
  private final Sequencer sequencer;
  private Handover batch = new Handover(MAX_BATCH);
  private final Vertx vertx;
  /** The one-shot timer armed by the first record of a batch (-1: none), so an idle loop never wakes. */
  private long timer = -1;
  /** Stamps reserved for records not made yet (answers being written). */
  private final Reservations reserved = new Reservations();
  /**
   * At most the least stamp of the batch (NONE: empty; records come out of stamp order when reserved): no
   * record of the batch is below it. Published before a stamp is taken for it; NONE once handed over.
   */
  private volatile long batchLow = NONE;
  /** The oldest stamp reserved and not recorded yet (NONE: none), published before it is taken. */
  private volatile long reservedLow = NONE;

  /** Call on the event loop that will record (a verticle's start): the flush timers run there. */
  public LoopBuffer(Vertx vertx, AccessExporter exporter) {
    this.vertx = vertx;
    this.exporter = exporter;
    this.sequencer = exporter.sequencer();
    sequencer.register(this);
  }

  long batchLow() {
    return batchLow;
  }

  long reservedLow() {
    return reservedLow;
  }

  @Override
  public void record(AccessRecord record) {
    record(record, -1);
  }

  @Override
  public long reserve() {
    if (reservedLow == NONE) {
      reservedLow = sequencer.clock().get(); // published before the stamp is taken: the stamp is at least this
    }
    long stamp = sequencer.clock().getAndIncrement();
    reserved.add(stamp);
    return stamp;
  }

  @Override
  public void record(AccessRecord record, long stamp) {
    long s = stamp;
    if (stamp < 0) {
      if (batchLow == NONE) {
        batchLow = sequencer.clock().get(); // published before the stamp is taken: the stamp is at least this
      }
      s = sequencer.clock().getAndIncrement();
    } else {
      if (s < batchLow) {
        batchLow = s; // before the reservation is let go: the stamp stays covered
      }
      reserved.settle(stamp);
      long oldest = reserved.oldest(NONE);
      if (oldest != reservedLow) {
        reservedLow = oldest;
      }
    }
    batch.add(record, s);
    if (batch.full()) {
      flush();
    } else if (timer < 0) {
      timer = vertx.setTimer(FLUSH_MS, id -> {
        timer = -1;
        flush();
      });
    }
  }

  private void flush() {
    if (timer >= 0 && batch.full()) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    if (!batch.isEmpty()) {
      Handover full = batch;
      batch = new Handover(MAX_BATCH);
      exporter.submit(full);
      batchLow = NONE; // only now: the exporter must find the batch in its queue once it sees it released
    }
  }

  /** Hands over what is left and stops the timer (the verticle stops). */
  public void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    flush();
    sequencer.unregister(this);
  }
}
