package io.sluice.stream.export;

import java.util.Arrays;
import java.util.List;

/**
 * One event loop's records handed to the exporter, each with its completion stamp (the node-wide order in
 * which requests finished, see {@link Sequencer}), increasing. Filled on the loop, then read by the
 * exporter's thread only; {@link #next} is the exporter's read position while it merges loops.
 */
final class Handover {

  final AccessRecord[] records;
  final long[] stamps;
  int size;
  int next;

  Handover(int capacity) {
    records = new AccessRecord[capacity];
    stamps = new long[capacity];
  }

  void add(AccessRecord r, long stamp) {
    records[size] = r;
    stamps[size++] = stamp;
  }

  boolean full() {
    return size == records.length;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Into stamp order (a record made from a reserved stamp may come after newer ones): insertion, nearly sorted. */
  void sort() {
    for (int i = 1; i < size; i++) {
      long st = stamps[i];
      if (st >= stamps[i - 1]) {
        continue;
      }
      AccessRecord r = records[i];
      int j = i - 1;
      while (j >= 0 && stamps[j] > st) {
        stamps[j + 1] = stamps[j];
        records[j + 1] = records[j];
        j--;
      }
      stamps[j + 1] = st;
      records[j + 1] = r;
    }
  }

  /** The stamp of the next record to merge. */
  long head() {
    return stamps[next];
  }

  /** The records (for counting a dropped hand-over). */
  List<AccessRecord> asList() {
    return Arrays.asList(records).subList(0, size);
  }
}
