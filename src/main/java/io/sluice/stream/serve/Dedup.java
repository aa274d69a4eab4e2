package io.sluice.stream.serve;

import io.sluice.stream.export.AccessExporter;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Drops the second copy of a Kafka record in one partition: a record whose identity (the exporter's writer
 * id and sequence, in its headers) appeared within the {@link #WINDOW} offsets before it is a copy (an
 * exporter replaying its spool after a crash, or sending again what a frozen broker later wrote anyway).
 * The decision depends only on the log, never on where a reader started, provided the reader first feeds
 * the {@link #WINDOW} offsets before its start ({@link #primeFrom}); so every node and every cursor agrees on
 * which copy is delivered. Records without an identity (written by an older Sluice) are never dropped.
 * Confined to one thread; about 80 bytes per record of the window.
 */
final class Dedup {

  /**
   * How far apart (in offsets of one partition) a copy can be from the original and still be dropped. A copy
   * lands when its exporter resends: seconds after Kafka answers again or after the node restarted; at a few
   * hundred Kafka records per second in a partition (each a batch of one tenant's records), 10,000 offsets
   * cover tens of seconds of that partition's traffic.
   */
  static final long WINDOW = 10_000;

  private final LinkedHashMap<Long, Long> seen = new LinkedHashMap<>();
  /** The offset after the last record fed (-1: none yet): where a reader can continue without priming. */
  private long fedTo = -1;

  /** Where a reader starting at {@code start} must begin feeding (never before {@code logStart}). */
  static long primeFrom(long start, long logStart) {
    return Math.max(logStart, start - WINDOW);
  }

  long fedTo() {
    return fedTo;
  }

  void clear() {
    seen.clear();
    fedTo = -1;
  }

  /** Feeds the record at {@code offset}; true when it is a copy of one seen within the window before it. */
  boolean duplicate(long offset, Headers headers) {
    fedTo = offset + 1;
    Header w = headers.lastHeader(AccessExporter.WRITER_HEADER);
    Header s = headers.lastHeader(AccessExporter.SEQ_HEADER);
    Iterator<Map.Entry<Long, Long>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue() >= offset - WINDOW) {
        break;
      }
      it.remove();
    }
    if (w == null || s == null || w.value().length != 8 || s.value().length != 8) {
      return false;
    }
    long id = ByteBuffer.wrap(w.value()).getLong() * 0x9E3779B97F4A7C15L + ByteBuffer.wrap(s.value()).getLong();
    Long last = seen.remove(id);
    seen.put(id, offset);
    return last != null && offset - last <= WINDOW;
  }
}
