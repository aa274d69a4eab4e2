package io.sluice.stream.export;

import io.sluice.settings.NodeSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The exporter's Kafka clients, as configured for it: the producer's settings, the admin client, the topic. */
final class KafkaClients {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaClients.class);
  /** How often a topic just created is looked at until its partitions have leaders (a few ms in practice). */
  private static final long LEADER_POLL_MS = 20;

  private KafkaClients() {}

  static Properties producerConfig(String bootstrap, int deliveryTimeoutMs, int lingerMs, String compression) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // One produce request in flight per broker: a batch refused for a moment (NotLeaderOrFollower on a topic just
    // created, or during a leader change) is retried before any later batch goes. With five in flight a later
    // batch of a new producer could be taken first, and the refused one's retry then failed for good with
    // OutOfOrderSequence (its records stuck, the tenant's order broken: StreamOrderTest saw it even after
    // waiting for leaders). Batches grow while one request is out, so a local broker loses nothing by it.
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression); // kafka.compression: none unless the broker is far
    // kafka.linger_ms, 5 by default: far below the stream's latency budget. 25 and 60 ms cost the node and a local
    // broker the same CPU per request as 5 once both JVMs are warm (bench/RESULTS.md, 2026-12-05), and add their
    // delay to every record's delivery.
    p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, deliveryTimeoutMs - 1000));
    // send() blocks only for metadata or a full buffer; a refusal stops sending (the spool holds the rest).
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-access-exporter");
    // No client telemetry (KIP-714): nothing here reads it, and its checks run on every turn of the sender's loop.
    p.put(ProducerConfig.ENABLE_METRICS_PUSH_CONFIG, false);
    return p;
  }

  /** An admin client whose calls give up after {@code timeoutMs} (Kafka then counts as down). */
  static Admin admin(String bootstrap, long timeoutMs) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeoutMs,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs,
        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000));
  }

  /**
   * Creates the topic when missing and waits until its partitions have leaders (blocking, at most
   * {@code timeoutMs}); whether it is ready to be sent to.
   */
  static boolean ensureTopic(Admin admin, NodeSettings.Kafka kafka, long timeoutMs) {
    try {
      NewTopic topic = new NewTopic(kafka.topic(), Optional.of(kafka.partitions()), Optional.empty())
          .configs(Map.of("retention.ms", Long.toString(kafka.retentionMs())));
      long deadline = System.currentTimeMillis() + timeoutMs;
      try {
        admin.createTopics(List.of(topic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
        LOG.info("created topic {} ({} partitions, retention {} ms)", kafka.topic(), kafka.partitions(),
            kafka.retentionMs());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          return false;
        }
      }
      return leadersElected(admin, kafka.topic(), deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * Waits until every partition of a topic has a leader. A topic just created answers NotLeaderOrFollower for a
   * moment; an idempotent producer whose first batch got that answer while later batches were taken then retries
   * it into OutOfOrderSequence (seen in KafkaOutageTest, main included: the first records of a replay arrived
   * after later ones, or not at all). Sending only once leaders are known keeps the first batch first.
   */
  private static boolean leadersElected(Admin admin, String topic, long deadline) throws Exception {
    while (true) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(left, TimeUnit.MILLISECONDS)
          .get(topic);
      if (d != null && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
        return true;
      }
      Thread.sleep(LEADER_POLL_MS);
    }
  }
}
