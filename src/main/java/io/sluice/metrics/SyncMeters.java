package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.config.EntityType;
import io.sluice.config.Rejection;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of configuration sync on one node: what it serves and since when, how fast changes reach it,
 * whether it is the sync leader, and how often it read PostgreSQL for it.
 */
public final class SyncMeters {

  /** The entity types that can be rejected: what the route table is built from. */
  private static final List<EntityType> REJECTABLE = List.of(EntityType.SERVICE, EntityType.ROUTE, EntityType.PLUGIN);

  private final AtomicLong applied = new AtomicLong(-1);
  private final AtomicLong leader = new AtomicLong();
  private final AtomicLong lastContact = new AtomicLong(System.currentTimeMillis());
  private final Timer propagation;
  private final Timer leaderDelay;
  private final Timer leaderRead;
  private final Counter catchUps;
  private final Counter storeReads;
  private final Counter carried;
  private final Counter applyFailures;
  private final Map<EntityType, AtomicLong> rejected = new EnumMap<>(EntityType.class);
  private final MeterRegistry registry;
  private final Counter cacheFlushes;
  private final Timer build;
  private final Counter logPruned;

  public SyncMeters(MeterRegistry r) {
    registry = r;
    cacheFlushes = Counter.builder(Meters.CONFIG_CACHE_FLUSHES)
        .description("Changes of so many consumers and credentials that the consumer caches were emptied instead"
            + " of evicted key by key").register(r);
    logPruned = Counter.builder(Meters.CONFIG_LOG_PRUNED)
        .description("Change-log entries deleted past sync.change_log_retention_hours").register(r);
    fullReload("change_log_pruned", 0);
    fullReload("version_regressed", 0);
    fullReload("cluster_behind", 0);
    fullReload("maps_lost", 0);
    build = Timer.builder(Meters.CONFIG_BUILD)
        .description("Checking the configuration and building the route table, per build (a worker thread;"
            + " consecutive changes that arrive together share one build)")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30)).register(r);
    Gauge.builder(Meters.CONFIG_APPLIED_VERSION, applied, AtomicLong::get)
        .description("Configuration version this node serves").register(r);
    Gauge.builder(Meters.CONFIG_LEADER, leader, AtomicLong::get)
        .description("1 while this node is the sync leader (LISTENs and publishes changes)").register(r);
    Gauge.builder(Meters.CONFIG_STORE_CONTACT_AGE, lastContact, t -> (System.currentTimeMillis() - t.get()) / 1000.0)
        .baseUnit("seconds")
        .description("Time since this node last reached PostgreSQL: how stale its configuration may be").register(r);
    propagation = Timer.builder(Meters.CONFIG_PROPAGATION)
        .description("Commit of a configuration version to its application on this node")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60)).register(r);
    leaderDelay = Timer.builder(Meters.CONFIG_LEADER_DELAY)
        .description("Commit of a configuration version to its event sent by the sync leader (the leader's part"
            + " of the propagation delay; only the leader records)")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60)).register(r);
    leaderRead = Timer.builder(Meters.CONFIG_LEADER_READ)
        .description("One read of the change log by the sync leader, from its start to the page in hand")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30)).register(r);
    catchUps = Counter.builder(Meters.CONFIG_CATCHUPS)
        .description("Catch-ups from the change log this node published as sync leader").register(r);
    storeReads = Counter.builder(Meters.CONFIG_STORE_READS)
        .description("PostgreSQL read transactions made to follow configuration changes").register(r);
    carried = Counter.builder(Meters.CONFIG_CARRIED)
        .description("Versions this node published as sync leader from what their notification carried, without"
            + " reading PostgreSQL").register(r);
    applyFailures = Counter.builder(Meters.CONFIG_APPLY_FAILURES)
        .description("Versions whose configuration could not be built (the previous route table kept serving)")
        .register(r);
    for (EntityType type : REJECTABLE) {
      AtomicLong count = new AtomicLong();
      rejected.put(type, count);
      Gauge.builder(Meters.CONFIG_REJECTED, count, AtomicLong::get).tag("type", type.noun())
          .description("Entities this node did not apply as written (left out, or kept at their last good state):"
              + " see /cluster and /health/ready for which and why").register(r);
    }
  }

  /** The sync leader reloaded the whole configuration for {@code reason}. */
  public void fullReload(String reason) {
    fullReload(reason, 1);
  }

  private void fullReload(String reason, double count) {
    Counter.builder(Meters.CONFIG_FULL_RELOADS).tag("reason", reason)
        .description("Whole reloads of the configuration from PostgreSQL (caches flushed), by reason")
        .register(registry).increment(count);
  }

  public void built(long nanos) {
    build.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void cacheFlush() {
    cacheFlushes.increment();
  }

  public void logPruned(long entries) {
    logPruned.increment(entries);
  }

  /** The entities rejected as of the version applied now (replaces the previous counts). */
  public void rejected(List<Rejection> all) {
    Map<EntityType, Long> counts = new EnumMap<>(EntityType.class);
    all.forEach(x -> counts.merge(x.type(), 1L, Long::sum));
    rejected.forEach((type, count) -> count.set(counts.getOrDefault(type, 0L)));
  }

  public void applied(long version, long nowMillis, Iterable<Long> committedAtMillis) {
    applied.set(version);
    for (long at : committedAtMillis) {
      propagation.record(Math.max(0, nowMillis - at), TimeUnit.MILLISECONDS);
    }
  }

  public void leader(boolean yes) {
    leader.set(yes ? 1 : 0);
  }

  public void storeReached() {
    reached = true;
    lastContact.set(System.currentTimeMillis());
  }

  /** Whether this process has reached PostgreSQL yet. */
  private volatile boolean reached;

  /**
   * The node serves the local snapshot written at {@code writtenAtMillis}, PostgreSQL unreachable since it started:
   * its configuration is as old as the snapshot, so the staleness counts from there, not from the process's start.
   */
  public void servingSnapshotOf(long writtenAtMillis) {
    if (!reached) {
      lastContact.set(writtenAtMillis);
    }
  }

  public long lastContactMillis() {
    return lastContact.get();
  }

  /** The leader sent the event of the versions committed at {@code committedAtMillis}. */
  public void leaderSent(long nowMillis, Iterable<Long> committedAtMillis) {
    for (long at : committedAtMillis) {
      leaderDelay.record(Math.max(0, nowMillis - at), TimeUnit.MILLISECONDS);
    }
  }

  public void leaderRead(long nanos) {
    leaderRead.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void catchUp() {
    catchUps.increment();
  }

  public void carried() {
    carried.increment();
  }

  public double carriedCount() {
    return carried.count();
  }

  public void storeRead() {
    storeReads.increment();
  }

  public double storeReads() {
    return storeReads.count();
  }

  public void applyFailed() {
    applyFailures.increment();
  }
}
