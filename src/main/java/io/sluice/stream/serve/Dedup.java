package io.sluice.stream.serve;

import io.sluice.stream.export.AccessExporter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Drops the second copy of a Kafka record in one partition. Only a record the exporter marked as sent again
 * ({@link AccessExporter#RESENT_HEADER}: a resend after a failed or timed-out send, or a replay of an older
 * process's spool) can be a copy; it is one when its identity (the writer id and sequence in its headers)
 * appeared within the {@link #WINDOW} offsets before it. A first send is never a copy: the exporter sends a
 * chunk again only once every earlier send of it has settled, and the idempotent producer fences an
 * abandoned request (epoch bump), so an original never lands after its resend.
 *
 * <p>The decision depends only on the log, never on where a reader started: a reader feeds every record
 * from its start on, and when a marked record comes within {@link #WINDOW} offsets of that start, it first
 * reads the window before the start ({@link #prime}), for the judgement only. So every node and every cursor
 * agrees on which copy is delivered, and a reader pays for that window only after a resend, not each time
 * it starts following a partition (10,000 Kafka records of about a hundred access records each take
 * seconds to read). Records without an identity (written by an older Sluice) are never dropped.
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
  /** How long a prime may take before the judgement is put off (Kafka unreachable): the reader retries. */
  static final Duration PRIME_TIMEOUT = Duration.ofSeconds(10);

  /** Identity to the offset of its latest record, for the records fed since {@link #from}, in order. */
  private final LinkedHashMap<Long, Long> seen = new LinkedHashMap<>();
  /** The first offset fed in order (-1: none yet). */
  private long from = -1;
  /** The offset after the last record fed (-1: none yet): where a reader can continue without starting over. */
  private long fedTo = -1;
  /** The identities of the window before {@link #from}, once read; null when not read or no longer needed. */
  private Map<Long, Long> before;
  private boolean primed;

  long fedTo() {
    return fedTo;
  }

  /** Starts over: the next record fed is the one at {@code offset} (the window before it is not read yet). */
  void start(long offset) {
    seen.clear();
    before = null;
    primed = false;
    from = offset;
    fedTo = offset;
  }

  void clear() {
    start(-1);
    fedTo = -1;
  }

  /**
   * Whether judging the record at {@code offset} needs the window before this reader's start, not read yet:
   * call {@link #prime} first, then {@link #duplicate}.
   */
  boolean needsPrime(long offset, Headers headers) {
    return !primed && from >= 0 && offset - WINDOW < from && resent(headers) && identity(headers) != null;
  }

  /**
   * Reads the window before the start, [max(logStart, start - WINDOW), start), with {@code consumer} (assigned
   * {@code tp} alone; its position is left where the window ends). Throws when Kafka does not hand it over
   * within {@link #PRIME_TIMEOUT}: the record stays unjudged, and the caller reads it again later.
   */
  void prime(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long logStart) {
    long begin = Math.max(logStart, from - WINDOW);
    Map<Long, Long> window = new HashMap<>();
    if (begin < from) {
      consumer.seek(tp, begin);
      long deadline = System.nanoTime() + PRIME_TIMEOUT.toNanos();
      while (consumer.position(tp) < from) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the " + (from - begin) + " offsets before " + from + " of " + tp
              + " were not read within " + PRIME_TIMEOUT.toSeconds() + " s");
        }
        List<ConsumerRecord<byte[], byte[]>> recs = consumer.poll(Duration.ofMillis(200)).records(tp);
        for (ConsumerRecord<byte[], byte[]> rec : recs) {
          Long id = rec.offset() < from ? identity(rec.headers()) : null;
          if (id != null) {
            window.put(id, rec.offset());
          }
        }
      }
    }
    before = window;
    primed = true;
  }

  /** Feeds the record at {@code offset}; true when it is a copy of one within the window before it. */
  boolean duplicate(long offset, Headers headers) {
    if (from < 0) {
      from = offset;
    }
    fedTo = offset + 1;
    Iterator<Map.Entry<Long, Long>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue() >= offset - WINDOW) {
        break;
      }
      it.remove();
    }
    if (offset - WINDOW >= from) {
      before = null; // the window no longer reaches before the start
      primed = true;
    }
    Long id = identity(headers);
    if (id == null) {
      return false;
    }
    Long last = seen.remove(id);
    seen.put(id, offset);
    if (!resent(headers)) {
      return false;
    }
    if (last != null && last < offset && offset - last <= WINDOW) {
      return true;
    }
    Long earlier = before == null ? null : before.get(id);
    return earlier != null && earlier >= offset - WINDOW;
  }

  static boolean resent(Headers headers) {
    return headers.lastHeader(AccessExporter.RESENT_HEADER) != null;
  }

  private static Long identity(Headers headers) {
    Header w = headers.lastHeader(AccessExporter.WRITER_HEADER);
    Header s = headers.lastHeader(AccessExporter.SEQ_HEADER);
    if (w == null || s == null || w.value().length != 8 || s.value().length != 8) {
      return null;
    }
    return ByteBuffer.wrap(w.value()).getLong() * 0x9E3779B97F4A7C15L + ByteBuffer.wrap(s.value()).getLong();
  }
}
