package io.sluice.stream.export;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Puts the records of every event loop back into the order in which the node finished the requests, so
 * that a tenant's records reach the spool, Kafka and subscribers in completion order even though each loop
 * hands its own over when its buffer fills or its timer fires (a loop could hand over records newer than
 * ones another loop still holds).
 *
 * <p>Each record is stamped at completion from one node-wide counter (one atomic increment on the hot path,
 * no lock): as the answer's last write starts (a reserved stamp, for a record made once the write has
 * completed) or when the record is made. Each loop publishes the least stamp of the batch it holds and of
 * its reservations (or none), each set before it takes a stamp and cleared once the records are handed
 * over. The exporter's thread reads the counter, then every loop's lows, then drains the hand-over queue:
 * every record stamped below the least of those is then in its hands (stamped before the counter was read,
 * and neither held nor reserved by a loop, so handed over before the drain), and those are released,
 * merged by stamp. The rest waits for the next round (a loop holds records for at most
 * {@link LoopBuffer#FLUSH_MS} ms). A reservation is waited for at most {@link #RESERVED_WAIT_MS}: an answer
 * whose last write takes longer (a slow client) does not hold the others; its record comes when made.
 */
final class Sequencer {

  /** How long a loop's oldest reservation holds the others back at most. */
  static final long RESERVED_WAIT_MS = 50;

  private final AtomicLong clock = new AtomicLong();
  /** Thread-confined to the exporter: per loop, the oldest reservation seen and since when (nanoTime). */
  private final IdentityHashMap<LoopBuffer, long[]> reservations = new IdentityHashMap<>();
  private final CopyOnWriteArrayList<LoopBuffer> loops = new CopyOnWriteArrayList<>();
  /** Thread-confined to the exporter: hand-overs with records not yet released, by their next stamp. */
  private final PriorityQueue<Handover> held = new PriorityQueue<>((a, b) -> Long.compare(a.head(), b.head()));
  private long heldRecords;

  /** The counter stamps are taken from. */
  AtomicLong clock() {
    return clock;
  }

  void register(LoopBuffer loop) {
    loops.add(loop);
  }

  void unregister(LoopBuffer loop) {
    loops.remove(loop);
  }

  /** A loop's reservation, unless it has been the same for {@link #RESERVED_WAIT_MS} (then none). */
  private long reserved(LoopBuffer l, long now) {
    long r = l.reservedLow();
    if (r == LoopBuffer.NONE) {
      return r;
    }
    long[] seen = reservations.computeIfAbsent(l, k -> new long[] {-1, 0});
    if (seen[0] != r) {
      seen[0] = r;
      seen[1] = now;
    }
    return now - seen[1] > RESERVED_WAIT_MS * 1_000_000 ? LoopBuffer.NONE : r;
  }

  /**
   * The stamp below which every record is handed over or dropped: call before draining the queue. With
   * {@code all}, none is waited for (the loops have stopped: the exporter is closing).
   */
  long watermark(boolean all) {
    if (all) {
      return Long.MAX_VALUE;
    }
    long w = clock.get();
    long now = System.nanoTime();
    for (LoopBuffer l : loops) {
      w = Math.min(w, Math.min(l.batchLow(), reserved(l, now)));
    }
    if (reservations.size() > loops.size()) {
      reservations.keySet().retainAll(new HashSet<>(loops)); // loops that stopped
    }
    return w;
  }

  /** A hand-over drained from the queue. */
  void add(Handover h) {
    if (!h.isEmpty()) {
      h.sort();
      held.add(h);
      heldRecords += h.size;
    }
  }

  long heldRecords() {
    return heldRecords;
  }

  /** Whether records wait for older ones still held by a loop. */
  boolean holding() {
    return heldRecords > 0;
  }

  /** Records stamped below {@code watermark}, in stamp order, at most {@code max} of them. */
  List<AccessRecord> release(long watermark, int max) {
    List<AccessRecord> out = new ArrayList<>((int) Math.min(max, heldRecords));
    while (out.size() < max && !held.isEmpty() && held.peek().head() < watermark) {
      Handover h = held.poll();
      long bound = held.isEmpty() ? watermark : Math.min(watermark, held.peek().head());
      while (h.next < h.size && h.stamps[h.next] < bound && out.size() < max) {
        out.add(h.records[h.next]);
        h.records[h.next++] = null;
      }
      if (h.next < h.size) {
        held.add(h);
      }
    }
    heldRecords -= out.size();
    return out;
  }
}
