package io.sluice.sync;

import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/** The versions a node applied lately, in the order applied (for operators' debugging and tests). */
final class RecentVersions {

  private static final int KEPT = 10_000;

  private final Deque<Long> versions = new ConcurrentLinkedDeque<>();
  /** Counted by the one writer (the applier's context): the deque's own size() walks every entry. */
  private int size;

  void add(long version) {
    versions.addLast(version);
    if (++size > KEPT) {
      versions.pollFirst();
      size--;
    }
  }

  /** Oldest first: strictly increasing when sync keeps its promise. */
  List<Long> list() {
    return List.copyOf(versions);
  }
}
