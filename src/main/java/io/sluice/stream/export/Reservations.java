package io.sluice.stream.export;

/**
 * The completion stamps one event loop has reserved and whose records are not made yet (an answer's last
 * write in progress), in the order taken (increasing); usually settled in that order too, so settling
 * looks at the head first. Confined to the loop.
 */
final class Reservations {

  private static final long SETTLED = -1;
  private long[] stamps = new long[64];
  private int head;
  private int size;

  void add(long stamp) {
    if (size == stamps.length) {
      long[] bigger = new long[stamps.length * 2];
      for (int i = 0; i < size; i++) {
        bigger[i] = stamps[(head + i) % stamps.length];
      }
      stamps = bigger;
      head = 0;
    }
    stamps[(head + size++) % stamps.length] = stamp;
  }

  /** The record of {@code stamp} is made: forgets it, and every settled one at the head. */
  void settle(long stamp) {
    for (int i = 0; i < size; i++) {
      int at = (head + i) % stamps.length;
      if (stamps[at] == stamp) {
        stamps[at] = SETTLED;
        break;
      }
    }
    while (size > 0 && stamps[head] == SETTLED) {
      head = (head + 1) % stamps.length;
      size--;
    }
  }

  /** The oldest stamp still reserved, or {@code none}. */
  long oldest(long none) {
    return size == 0 ? none : stamps[head];
  }
}
