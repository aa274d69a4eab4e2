package io.sluice.stream.export;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.sluice.metrics.Meters;

/**
 * Access records dropped (spool full, hand-over queue full), per tenant, until the exporter can put a loss
 * marker in each tenant's stream: subscribers then get a gap frame saying how many of their records this
 * node lost and when they were made, at the place in the stream where they would have been. Written from
 * any thread (drops at hand-over happen on event loops; this is the drop path, never the normal one),
 * taken by the exporter's thread. Every drop is also counted and logged (at most every {@link #LOG_MS} ms,
 * with the count since the last warning).
 */
final class Losses {

  private static final Logger LOG = LoggerFactory.getLogger(Losses.class);
  /** At most one drop warning this often, with the count since the last one. */
  static final long LOG_MS = 10_000;

  /** One tenant's dropped records: how many, the first and last one's completion time, the node. */
  record Loss(String key, int records, long fromTs, long toTs, String node) {
    Loss plus(Loss o) {
      return new Loss(key, records + o.records, Math.min(fromTs, o.fromTs), Math.max(toTs, o.toTs), node);
    }
  }

  private final ConcurrentHashMap<String, Loss> pending = new ConcurrentHashMap<>();
  private final Counter dropped;
  private final AtomicLong sinceLog = new AtomicLong();
  private final AtomicLong lastLog = new AtomicLong();
  private volatile String lastWhy = "";

  Losses(MeterRegistry registry) {
    dropped = Counter.builder(Meters.STREAM_DROPPED)
        .description("Access records lost: spool full or hand-over queue full (subscribers get a gap frame)")
        .register(registry);
  }

  /** {@code records} are lost ({@code why}): counted, logged now and then, and owed to their tenants as a gap. */
  void drop(List<AccessRecord> records, String why) {
    int n = records.size();
    if (n == 0) {
      return; // a frame of loss markers alone that did not fit: they stay owed (the caller puts them back)
    }
    dropped.increment(n);
    add(records);
    lastWhy = why;
    sinceLog.addAndGet(n);
    logIfDue();
  }

  /**
   * Logs the drops not said yet once {@link #LOG_MS} has passed since the last warning. Also called by the exporter's
   * loop: the drops of a burst after its first warning were said only at a later drop, never if none came (an
   * outside tester's metric counted 1,852 while the log said 5).
   */
  void logIfDue() {
    long now = System.currentTimeMillis();
    long last = lastLog.get();
    // drop() runs on event loops and this on the exporter's thread: one of them claims the turn.
    if (sinceLog.get() > 0 && now - last >= LOG_MS && lastLog.compareAndSet(last, now)) {
      long since = sinceLog.getAndSet(0);
      if (since == 0) {
        return;
      }
      LOG.warn("{} access record(s) dropped: {} (sluice_stream_records_dropped_total counts them all; their"
          + " tenants' subscribers get a gap frame)", since, lastWhy);
    }
  }

  private void add(List<AccessRecord> records) {
    Map<String, Loss> byTenant = new LinkedHashMap<>();
    for (AccessRecord r : records) {
      String key = r.streamKey() == null ? "" : r.streamKey();
      byTenant.merge(key, new Loss(key, 1, r.tsMillis(), r.tsMillis(), r.node()), Loss::plus);
    }
    byTenant.values().forEach(this::add);
  }

  /** Puts back (or adds) a tenant's loss, merged with what is pending for it. */
  void add(Loss loss) {
    pending.merge(loss.key(), loss, Loss::plus);
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Takes every pending loss (each removed atomically; a drop counted meanwhile is taken next time). */
  List<Loss> take() {
    List<Loss> out = new ArrayList<>();
    for (String key : pending.keySet()) {
      Loss l = pending.remove(key);
      if (l != null) {
        out.add(l);
      }
    }
    return out;
  }
}
