package io.sluice.stream.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recent records of one partition, in offset order, shared by every subscriber of this node that
 * follows a tenant of the partition: one read from Kafka serves them all. Complete from {@link #base()} up
 * to {@link #end()} (exclusive); older offsets are read from Kafka by {@link Backfill}. Written by the tail
 * reader's thread, read from event loops: every method takes the ring's lock, briefly.
 *
 * <p>A ring is live only while some subscriber of the node follows its partition: the reader stops reading
 * a partition nobody follows (Kafka keeps it all), and when someone does again it starts over at the end of
 * the log ({@link #reset}); anything older is read by {@link Backfill}.
 */
final class Ring {

  /**
   * One access record as subscribers need it: its position (the Kafka record's offset and its index in that
   * record's JSON lines, see {@link #pos}), whether it is the Kafka record's last, what filters look at, and
   * the JSON to frame.
   */
  record Item(long pos, boolean last, String tenant, String route, int status, String json) {
    long offset() {
      return pos >>> INDEX_BITS;
    }

    /** A loss marker (records its node dropped, spool full): framed as a gap, whatever the filters. */
    boolean loss() {
      return status == LOSS;
    }

    /** The position a reader continues from after this item. */
    long after() {
      return last ? (offset() + 1) << INDEX_BITS : pos + 1;
    }
  }

  /** The status of an item that is a loss marker, not a record. */
  static final int LOSS = -1;

  /** Bits of a position that hold the index of a record inside its Kafka record (a batch). */
  static final int INDEX_BITS = 16;

  /** A position: a Kafka record's offset and the index of an access record inside it. */
  static long pos(long offset, int index) {
    return (offset << INDEX_BITS) | index;
  }

  private final Item[] items;
  private int head;
  private int size;
  private long base;
  private long end;
  private List<Runnable> waiters = new ArrayList<>();
  private boolean live;

  /** A ring not live yet: its reader attaches it ({@link #reset}) once a subscriber follows the partition. */
  Ring(int capacity) {
    this.items = new Item[capacity];
  }

  /** Starts over, live, complete from offset {@code position} (where the reader now reads); wakes every waiter. */
  void reset(long offset) {
    long position = offset << INDEX_BITS;
    List<Runnable> wake;
    synchronized (this) {
      java.util.Arrays.fill(items, null);
      head = 0;
      size = 0;
      base = position;
      end = position;
      live = true;
      wake = waiters;
      waiters = new ArrayList<>();
    }
    wake.forEach(Runnable::run);
  }

  /** The reader stopped reading the partition (nobody follows it): readers wait for the next reset. */
  synchronized void detach() {
    live = false;
  }

  synchronized boolean live() {
    return live;
  }

  /** Registers {@code waker} for the next reset; false (nothing registered) when the ring is live already. */
  synchronized boolean awaitLive(Runnable waker) {
    if (live) {
      return false;
    }
    waiters.add(waker);
    return true;
  }

  /**
   * Appends records read by the tail (positions increasing), moves the end to offset {@code newEndOffset}
   * and wakes the waiting subscribers.
   */
  void append(List<Item> batch, long newEndOffset) {
    long newEnd = newEndOffset << INDEX_BITS;
    List<Runnable> wake;
    synchronized (this) {
      for (Item it : batch) {
        if (size == items.length) {
          base = items[head].pos() + 1;
          items[head] = null;
          head = (head + 1) % items.length;
          size--;
        }
        items[(head + size) % items.length] = it;
        size++;
      }
      end = Math.max(end, newEnd);
      if (waiters.isEmpty()) {
        return;
      }
      wake = waiters;
      waiters = new ArrayList<>();
    }
    wake.forEach(Runnable::run);
  }

  synchronized long base() {
    return base;
  }

  synchronized long end() {
    return end;
  }

  /**
   * Up to {@code max} records at or after position {@code from} (at or after the base) into {@code out};
   * when there are none, the end (every record before it has been seen), so the caller can move there.
   */
  synchronized long read(long from, int max, List<Item> out) {
    int lo = 0;
    int hi = size;
    while (lo < hi) { // first item with offset >= from
      int mid = (lo + hi) >>> 1;
      if (items[(head + mid) % items.length].pos() < from) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (int i = lo; i < size && out.size() < max; i++) {
      out.add(items[(head + i) % items.length]);
    }
    return end;
  }

  /**
   * Registers {@code waker} to run once records past position {@code next} arrive; false (nothing registered) when
   * they already have, so the caller reads again instead of waiting.
   */
  synchronized boolean awaitAfter(long next, Runnable waker) {
    if (live && end > next) {
      return false;
    }
    waiters.add(waker);
    return true;
  }
}
