package io.sluice.stream.export;

import io.sluice.settings.NodeSettings;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaFuture;

/**
 * When the exporter may send again after Kafka stopped taking records: a reachability probe that never blocks
 * (the cluster's description, looked at on each turn of the exporter's loop), on a capped exponential backoff with
 * full jitter, and the topic created when missing. Confined to the exporter's thread.
 */
final class KafkaRetry implements AutoCloseable {

  /** Retries while Kafka is down: capped exponential backoff with full jitter. */
  static final long RETRY_BASE_MS = 250;
  static final long RETRY_CAP_MS = 5_000;
  /** How long a reachability probe or topic creation may take before Kafka counts as still down. */
  static final long PROBE_MS = 2_000;

  private final NodeSettings.Kafka kafka;
  private final Admin admin;
  private boolean topicReady;
  private int failures;
  private long nextTry = System.currentTimeMillis();
  private KafkaFuture<?> probe;

  KafkaRetry(NodeSettings.Kafka kafka, String bootstrap) {
    this.kafka = kafka;
    this.admin = KafkaClients.admin(bootstrap, PROBE_MS);
  }

  /** Creates the topic when missing (blocking, briefly: Kafka has just answered); false when it cannot. */
  boolean ensureTopic() {
    if (!topicReady) {
      topicReady = KafkaClients.ensureTopic(admin, kafka, PROBE_MS);
    }
    return topicReady;
  }

  /** Sending failed: the next probe waits for the backoff. */
  void failed() {
    long cap = Math.min(RETRY_CAP_MS, RETRY_BASE_MS << Math.min(failures++, 10));
    nextTry = System.currentTimeMillis() + ThreadLocalRandom.current().nextLong(cap + 1);
  }

  /** Kafka acknowledged a send: the backoff starts again from its base. */
  void succeeded() {
    failures = 0;
  }

  /** Whether sending failed since the last acknowledgement (a resume is then worth a log line). */
  boolean failedBefore() {
    return failures > 0;
  }

  /**
   * Advances the probe at {@code now}: null while it is not due or not answered yet; true when Kafka answered and
   * the topic exists; false when not (and the next probe waits for the backoff).
   */
  Boolean poll(long now) {
    if (now < nextTry) {
      return null;
    }
    if (probe == null) {
      probe = admin.describeCluster().nodes();
      return null;
    }
    if (!probe.isDone()) {
      return null;
    }
    boolean up = !probe.isCompletedExceptionally();
    probe = null;
    if (up && ensureTopic()) {
      return true;
    }
    failed();
    return false;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
