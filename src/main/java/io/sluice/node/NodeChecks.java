package io.sluice.node;

import io.sluice.bus.NodeApplied;
import io.sluice.config.Rejection;
import io.sluice.health.Health;
import io.sluice.metrics.SyncMeters;
import io.sluice.policy.InvalidConsumers;
import io.sluice.policy.PolicyServices;
import io.sluice.stream.AccessStream;
import io.sluice.sync.ConfigApplier;
import io.sluice.sync.LocalSnapshot;
import io.vertx.core.json.JsonArray;
import java.time.Instant;
import java.util.List;

/**
 * What /health/ready reports of a node. Critical (the node is not ready without them): the route table and
 * the proxy listener. Reported only: the configuration store, Kafka, Redis and the cluster, whose outages the
 * node rides out (its applied configuration, the disk spool, the local rate-limit fallback), and the stored rows
 * the node could not use (entities left out of the route table, consumers refused).
 */
final class NodeChecks {

  /**
   * Every node's leader session reaches PostgreSQL at least every few seconds (the leader's heartbeat every
   * 2 s, a candidate's lock wait re-issued every 2 s): 6 s of silence is an outage.
   */
  static final long STORE_SILENCE_MS = 6_000;
  /**
   * A node behind PostgreSQL's version this long with no event bringing it is reported stale: an event reaches every
   * node within milliseconds, and the applier itself waits this long for a missing one (ConfigApplier.GAP_MS).
   */
  static final long BEHIND_REPORTED_MS = 1_000;

  private NodeChecks() {}

  static void register(Health health, SluiceNode node) {
    health.register("routes", true, () -> node.liveRoutes().loaded()
        ? Health.State.ok().with("routes", node.liveRoutes().current().size())
            .with("applied_version", node.appliedVersion())
        : Health.State.failing("no route table loaded yet"));
    // Found from outside: /health/ready stayed UP through the drain while the proxy refused connections.
    health.register("proxy", true, () -> node.draining() ? Health.State.failing("draining: the node is stopping")
        : node.proxyListeners() > 0 ? Health.State.ok().with("listeners", node.proxyListeners())
        : Health.State.failing("proxy listener not up"));
    health.register("cluster", false, () -> node.membership().clustered()
        ? Health.State.ok().with("clustered", true).with("members", node.membership().liveNodes().size())
            .with("node_id", node.membership().nodeId())
        : Health.State.ok().with("clustered", false));
    health.register("redis", false, () -> redis(node.policyServices()));
    health.register("kafka", false, () -> {
      AccessStream s = node.stream();
      if (s == null) {
        return Health.State.ok().with("export", false);
      }
      Health.State state = s.exporter().spooling()
          ? Health.State.failing("Kafka unreachable (or the spool replaying): access records go to the disk spool")
          : Health.State.ok();
      return state.with("export", true).with("bootstrap", s.bootstrap()).with("spool_bytes", s.exporter().spoolBytes());
    });
    if (node.settings().pg().enabled()) {
      health.register("store", false, () -> store(node));
      health.register("config", false, () -> config(node));
      health.register("consumers", false, () -> consumers(node));
    }
  }

  /**
   * Redis as the policies see it: not in use until a route's policy needs it; then down while its client cannot be
   * made from redis.url (no call can ever succeed) or since its last call (a policy's, or the node's PING every
   * 2 s) failed or timed out.
   */
  private static Health.State redis(PolicyServices p) {
    if (p == null || !p.redisInUse()) {
      return Health.State.ok().with("in_use", false);
    }
    String unmade = p.redisUnmade();
    String why = unmade != null ? unmade : p.redisFailing() ? "the last Redis call (or PING) failed or timed out" : null;
    return why == null ? Health.State.ok().with("in_use", true)
        : Health.State.failing(why + ": rate limits use their local fallback, proxy-cache bypasses")
            .with("in_use", true);
  }

  /**
   * The consumers this node refused lately because they are stored in a form the admin API refuses (written with
   * psql): consumers are read on demand, never whole, so only those requests brought, at most a bounded list.
   */
  private static Health.State consumers(SluiceNode node) {
    PolicyServices p = node.policyServices();
    JsonArray invalid = p == null ? new JsonArray() : InvalidConsumers.of(p).recent();
    Health.State s = invalid.isEmpty() ? Health.State.ok()
        : Health.State.failing(invalid.size() + " consumer(s) stored in a form the admin API refuses (written with"
            + " psql?) were met lately: requests with their credentials are answered 500 consumer_invalid until"
            + " each is fixed or deleted");
    return s.with("invalid", invalid);
  }

  /**
   * Every entity applied, or the ones that did not (left out of the route table, or kept at their last good
   * state): the node still serves everything else, so it stays ready (DEGRADED).
   */
  private static Health.State config(SluiceNode node) {
    List<Rejection> rejected = node.rejected();
    LocalSnapshot.State snapshot = node.servingSnapshot();
    ConfigApplier applier = node.applier();
    long behindMs = applier == null ? 0 : applier.behindStoreMs();
    Health.State s = snapshot != null
        ? Health.State.failing("stale: serving the local snapshot of version " + snapshot.version() + " written at "
            + Instant.ofEpochMilli(snapshot.writtenAtMillis()) + " until PostgreSQL or the cluster answers")
            .with("source", "snapshot").with("stale", true)
        : behindMs >= BEHIND_REPORTED_MS ? behind(applier, behindMs, node.syncLeader())
        : rejected.isEmpty() ? Health.State.ok()
        : Health.State.failing(rejected.size() + " entities rejected: they (and what depends on them) are left out"
            + " of the route table or kept at their last good state; everything else applies");
    return s.with("applied_version", node.appliedVersion()).with("rejected", NodeApplied.json(
        rejected.stream().limit(NodeApplied.MAX_LISTED).toList())).with("rejected_count", rejected.size());
  }

  /**
   * Behind PostgreSQL with no event bringing the version: a part of a split cluster without the sync leader, or the
   * leader itself whose changes do not get through (its cluster maps waiting for a member that stopped answering).
   */
  private static Health.State behind(ConfigApplier applier, long behindMs, boolean leading) {
    String why = leading ? "the sync leader's own changes did not reach it (its cluster maps waiting for a member that"
        + " stopped answering?)" : "no event of the cluster brought it (a part of a split cluster without the sync"
        + " leader?); the node reads the configuration from PostgreSQL itself after "
        + ConfigApplier.READ_AROUND_AFTER_MS + " ms";
    return Health.State.failing("stale: PostgreSQL holds version " + applier.storeVersionAhead() + " and this node"
        + " serves an older one for " + behindMs + " ms: " + why)
        .with("stale", true).with("behind_ms", behindMs).with("store_version", applier.storeVersionAhead());
  }

  private static Health.State store(SluiceNode node) {
    SyncMeters meters = node.syncMeters();
    if (meters == null) {
      return Health.State.failing("not following PostgreSQL yet");
    }
    long reached = meters.lastContactMillis();
    long silence = System.currentTimeMillis() - reached;
    Health.State s = silence < STORE_SILENCE_MS ? Health.State.ok()
        : Health.State.failing("PostgreSQL not reached for " + silence / 1000 + " s: serving the applied configuration");
    return s.with("applied_version", node.appliedVersion()).with("sync_leader", node.syncLeader())
        .with("last_reachable", Instant.ofEpochMilli(reached).toString())
        .with("seconds_since_reachable", silence / 1000);
  }
}
