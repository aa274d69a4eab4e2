package io.sluice.sync;

import io.sluice.bus.Addresses;
import io.sluice.bus.ConfigChanged;
import io.sluice.config.EntityKey;
import io.sluice.metrics.SyncMeters;
import io.sluice.store.ChangeReader;
import io.sluice.store.Delta;
import io.sluice.store.HistoryStore;
import io.sluice.store.LeaderSession;
import io.sluice.store.Wakeup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync leader's work (active only while this node holds the leadership lock): read the change log
 * after the cluster's published version, load each changed entity once, store it in the cluster maps with
 * its version, evict changed consumer-cache keys, move the published version by compare-and-set and then
 * publish {@link ConfigChanged} on the event bus. Wake-ups coalesce (one read at a time, one more if rung
 * meanwhile), so a burst of notifications for the same entities costs one read. When the event goes out before
 * the map writes (the usual small change), the next read starts at once and the writes and compare-and-sets
 * follow in version order behind it, so that a change committed meanwhile does not wait for the cluster's
 * round trips of the one before.
 *
 * <p>A version whose notification carried it whole ({@link Wakeup#carried()}: a small change of routes, services
 * or SNIs) is published in place of a read when it is the one after the last version read; any other is read.
 *
 * <p>Runs on every notification, on taking the lead, on heartbeats that saw a newer version, on a
 * periodic reconcile, and (as a full rewrite of the maps) after a Hazelcast split-brain merge.
 */
public final class SyncLeader implements LeaderSession.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLeader.class);
  /** Retired credential keys are pruned once per this many published versions. */
  private static final long PRUNE_EVERY = 1_000;
  /** How often the leader prunes the change log (it deletes in small batches). */
  private static final long PRUNE_LOG_MS = 60_000;
  /** Entities ride along in the event up to this many characters; larger changes are read from the maps. */
  private static final int INLINE_CHARS = 64 * 1024;

  private final Vertx vertx;
  private final ChangeReader reader;
  private final ClusterMaps maps;
  private final AsyncMap<String, String> consumerCache;
  private final SyncMeters meters;
  private final String nodeId;
  private final long retentionSeconds;
  private volatile boolean pruningLog;
  private volatile HistoryStore history;
  private volatile long historyRetentionSeconds;
  private volatile boolean leading;
  private volatile boolean fullNext;
  private boolean running;
  private boolean again;
  private long lastPruned;
  /** The version this leader last published (a hint: the compare-and-set on the map is what counts). */
  private volatile Long lastPublished;
  /**
   * The version this leader has read and sent its event for, while the map writes and the compare-and-set of it
   * may still be under way: where the next read starts (null: from the published version).
   */
  private volatile Long readTo;
  /** The map writes and compare-and-sets of the versions read, one after the other in version order. */
  private Future<Void> stores = Future.succeededFuture();
  /**
   * Versions whose notification carried them whole, waiting for their turn (guarded by this): published in place
   * of a read when the version before is the last one read. Bounded: past {@value #CARRIED_MAX}, the oldest go
   * (they are read instead).
   */
  private final TreeMap<Long, Delta> carried = new TreeMap<>();
  private static final int CARRIED_MAX = 1_024;

  /** {@code consumerCache} is the cluster's consumer map, or null on a single node. */
  public SyncLeader(Vertx vertx, ChangeReader reader, ClusterMaps maps, AsyncMap<String, String> consumerCache,
                    SyncMeters meters, String nodeId, long reconcileMs, long retentionSeconds) {
    this.vertx = vertx;
    this.reader = reader;
    this.maps = maps;
    this.consumerCache = consumerCache;
    this.meters = meters;
    this.nodeId = nodeId;
    this.retentionSeconds = retentionSeconds;
    vertx.setPeriodic(reconcileMs, id -> {
      if (leading) {
        wake(null);
      }
    });
    vertx.setPeriodic(PRUNE_LOG_MS, id -> pruneLog());
  }

  /** Also prunes the configuration history past {@code retentionSeconds}, with the change log. */
  public void pruneHistory(HistoryStore store, long retentionSeconds) {
    this.historyRetentionSeconds = retentionSeconds;
    this.history = store;
  }

  /** Drops history entries past their retention (the leader alone, so that nodes do not contend). */
  private void pruneHistory() {
    HistoryStore store = history;
    if (store == null) {
      return;
    }
    store.prune(historyRetentionSeconds).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("pruning the configuration history failed: {}", ar.cause().getMessage());
      } else if (ar.result() > 0) {
        LOG.info("pruned {} configuration history entries older than {} s", ar.result(), historyRetentionSeconds);
      }
    });
  }

  /** Drops change-log entries past the retention, among versions the cluster has published. */
  private void pruneLog() {
    Long upTo = lastPublished;
    if (!leading || upTo == null || pruningLog) {
      return;
    }
    pruningLog = true;
    // Counted batch by batch: a pass over a big backlog is seen as it goes, not only at its end.
    reader.pruneLog(upTo, retentionSeconds, meters::logPruned).onComplete(ar -> {
      pruningLog = false;
      pruneHistory();
      if (ar.failed()) {
        LOG.warn("pruning the change log failed: {}", ar.cause().getMessage());
      } else if (ar.result() > 0) {
        LOG.info("pruned {} change-log entries older than {} s", ar.result(), retentionSeconds);
      }
    });
  }

  public boolean leading() {
    return leading;
  }

  private static Map<EntityKey, String> inline(Map<EntityKey, String> entries) {
    long size = 0;
    for (String json : entries.values()) {
      size += json == null ? 0 : json.length();
    }
    return size <= INLINE_CHARS ? entries : Map.of();
  }

  @Override
  public void leadership(boolean leader) {
    leading = leader;
    lastPublished = null;
    readTo = null;
    synchronized (this) {
      carried.clear();
    }
    maps.forgetWrites();
    meters.leader(leader);
    if (leader) {
      maps.setLeader(nodeId);
    }
  }

  /**
   * Rewrites the maps whole from PostgreSQL, now if this node leads, else as soon as it takes the lead: after a
   * split-brain merge (they may hold either side's entries), or once they lost entries (members left with every copy
   * of some partitions: what a leader would otherwise publish on would be incomplete).
   */
  public void rewriteWhole() {
    fullNext = true;
    wake(null);
  }

  @Override
  public void wake(Wakeup wakeup) {
    synchronized (this) {
      if (wakeup != null && wakeup.carried() != null && leading) {
        carried.put(wakeup.version(), wakeup.carried());
        if (carried.size() > CARRIED_MAX) {
          carried.pollFirstEntry();
        }
      }
      if (running) {
        again = true;
        return;
      }
      running = true;
    }
    catchUp().onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("sync catch-up failed: {}", ar.cause().getMessage());
      }
      boolean more;
      synchronized (this) {
        more = again;
        again = false;
        running = false;
      }
      if (more) {
        wake(null);
      }
    });
  }

  private Future<Void> catchUp() {
    if (!leading) {
      return Future.succeededFuture();
    }
    Long from = fullNext ? null : readTo != null ? readTo : lastPublished;
    Delta next = from == null ? null : carriedAfter(from);
    if (next != null) {
      // The next version came whole with its notification: published as a read of it would be, without the read.
      meters.carried();
      return store(next, from);
    }
    // Without a version of its own, the leader asks the maps once the compare-and-sets under way are done.
    Future<Long> current = from != null ? Future.succeededFuture(from)
        : queued().compose(v -> maps.published());
    return current.compose(published -> {
      boolean full = published == null || fullNext;
      fullNext = false;
      long after = published == null ? -1 : published;
      meters.storeRead();
      long began = System.nanoTime();
      return (full ? reader.all(after) : reader.after(after)).compose(delta -> {
        meters.storeReached();
        meters.leaderRead(System.nanoTime() - began);
        return store(delta, published);
      }).onFailure(err -> fullNext |= full);  // a whole rewrite that failed is still owed
    });
  }

  /**
   * The carried delta of version {@code from + 1}, taken (those up to {@code from} are dropped: read meanwhile);
   * asks for another round when the one after it is waiting too. Null when that version did not come whole.
   */
  private synchronized Delta carriedAfter(long from) {
    carried.headMap(from, true).clear();
    Delta next = carried.remove(from + 1);
    if (next != null && !carried.isEmpty()) {
      again = true;
    }
    return next;
  }

  /** Completes once the map writes and compare-and-sets queued so far are done, whatever their outcome. */
  private synchronized Future<Void> queued() {
    return stores.transform(ar -> Future.succeededFuture());
  }

  private Future<Void> store(Delta delta, Long published) {
    if (delta.empty() || !leading) {
      return Future.succeededFuture();
    }
    if (delta.more()) {
      synchronized (this) {
        again = true;  // one page of a bigger backlog: read the next at once
      }
    }
    // PostgreSQL went back (a restored database): the maps' states of the versions above it are void, so they are
    // overwritten, not compared with.
    boolean regressed = delta.regressed();
    List<Future<Void>> writes = new ArrayList<>();
    for (Map.Entry<EntityKey, String> e : delta.entries().entrySet()) {
      writes.add(regressed ? maps.overwrite(e.getKey(), e.getValue(), delta.version())
          : maps.putIfNewer(e.getKey(), e.getValue(), delta.version()));
    }
    Future<Void> stale = Future.succeededFuture();
    if (delta.full()) {
      // Whatever the maps hold that PostgreSQL no longer has is gone (a merge can bring such entries back).
      stale = maps.keys().compose(keys -> {
        List<Future<Void>> gone = new ArrayList<>();
        Set<EntityKey> live = new HashSet<>(delta.entries().keySet());
        for (EntityKey k : keys) {
          if (!live.contains(k)) {
            gone.add(regressed ? maps.overwrite(k, null, delta.version()) : maps.putIfNewer(k, null, delta.version()));
          }
        }
        return Future.all(gone).mapEmpty();
      });
    }
    if (delta.restartedBecause() != null) {
      LOG.warn("sync: {}; reloading the whole configuration and flushing the consumer caches",
          delta.restartedBecause());
      meters.fullReload(delta.reloadReason());
    }
    if (regressed) {
      synchronized (this) {
        carried.clear();  // numbered in the old sequence or the new one: read instead
      }
      lastPruned = delta.version();
    }
    List<Future<?>> evictions = new ArrayList<>();
    if (consumerCache != null && delta.flushCaches()) {
      evictions.add(consumerCache.clear());
    } else if (consumerCache != null) {
      for (String k : delta.cacheKeys()) {
        evictions.add(consumerCache.remove(k));
      }
    }
    Future<Void> stored = stale;
    Map<EntityKey, String> inlined = delta.full() ? Map.of() : inline(delta.entries());
    ConfigChanged event = new ConfigChanged(delta.version(), published == null ? -1 : published, delta.full(),
        delta.full() ? List.of() : delta.keys(), delta.cacheKeys(), delta.flushCaches(), delta.committedAtMillis(),
        inlined);
    // Every entity rides along and no shared cache is to be evicted first: nodes need nothing of the maps, so
    // the event leaves now instead of after the map writes and the compare-and-set (two to three round trips
    // of the cluster on the path of every change). Should the compare-and-set fail (another leader), that
    // leader publishes the same versions as read from PostgreSQL, and a node applies each version once.
    boolean early = !delta.full() && evictions.isEmpty() && inlined == delta.entries();
    if (early) {
      vertx.eventBus().publish(Addresses.CONFIG_CHANGED, event);
      meters.leaderSent(System.currentTimeMillis(), delta.committedAtMillis());
    }
    readTo = delta.version();  // before the chain below, which may complete at once (a single node's maps)
    Future<Void> written = Future.all(writes).compose(v -> stored).compose(v -> Future.all(evictions)).mapEmpty();
    // The compare-and-sets go one after the other, in version order (each moves the version from the previous
    // one's); the map writes are conditional on the entity's version, so they need not wait.
    Future<Void> done;
    synchronized (this) {
      done = stores.transform(ar -> written).compose(v -> maps.publish(published, delta.version()))
        .compose(moved -> {
          if (!moved) {
            // Another leader published meanwhile (we lost the lead mid-way): read again from its version.
            lastPublished = null;
            readTo = null;
            wake(null);
            return Future.<Void>succeededFuture();
          }
          meters.catchUp();
          lastPublished = delta.version();
          if (!early) {
            vertx.eventBus().publish(Addresses.CONFIG_CHANGED, event);
            meters.leaderSent(System.currentTimeMillis(), delta.committedAtMillis());
          }
          if (delta.version() - lastPruned >= PRUNE_EVERY) {
            lastPruned = delta.version();
            reader.pruneRetired(delta.version()).onFailure(err -> LOG.debug("prune failed", err));
          }
          return Future.<Void>succeededFuture();
        })
        .onFailure(err -> {
          // The maps did not take this version: the next wake-up reads it again (and sends again the events of
          // any later version read meanwhile; a node applies each version once).
          if (early) {
            LOG.warn("sync: storing version {} in the cluster maps failed: {}", delta.version(), err.getMessage());
          }
          readTo = null;
        });
      stores = done;
    }
    // The event is out: the next read need not wait for the maps. A change whose event waits for them (a full
    // rewrite, shared caches to evict, entities too big to ride along) holds the next read until it is out.
    return early ? Future.succeededFuture() : done;
  }
}
