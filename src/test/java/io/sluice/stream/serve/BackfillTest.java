package io.sluice.stream.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.sluice.testing.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backfill against a real broker: a read stops once it has seen every record before its end, including when
 * that end is the log's (a subscriber catching up to a quiet partition), instead of polling out its chunk time.
 */
class BackfillTest {

  /** Far longer than any test waits: a read that runs into it fails the test instead of passing slowly. */
  private static final long CHUNK_MS = 300_000;
  /** Generous for a shared, noisy machine; a read up to the end takes milliseconds once connected. */
  private static final long WAIT_S = 30;
  /** Kafka records written to partition 0, each a batch of two access records. */
  private static final int RECORDS = 5;

  private final String topic = "backfill-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  private Backfill backfill;

  @BeforeEach
  void start() throws Exception {
    String bootstrap = SharedKafka.bootstrap();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(WAIT_S, TimeUnit.SECONDS);
    }
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        String lines = "{\"status\":200,\"n\":\"" + i + "a\"}\n{\"status\":200,\"n\":\"" + i + "b\"}\n";
        producer.send(new ProducerRecord<>(topic, 0, bytes("acme"), bytes(lines))).get(WAIT_S, TimeUnit.SECONDS);
      }
    }
    backfill = new Backfill(bootstrap, topic, CHUNK_MS);
  }

  @AfterEach
  void stop() {
    backfill.close();
  }

  private Backfill.Chunk fetch(int partition, long from, long until) throws Exception {
    return backfill.fetch(partition, from, until, new Dedup()).get(WAIT_S, TimeUnit.SECONDS);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void reads_from_earliest_to_the_end_of_the_log_without_waiting_for_more() throws Exception {
    Backfill.Chunk chunk = fetch(0, -1, Ring.pos(RECORDS, 0));
    assertEquals(2 * RECORDS, chunk.items().size());
    assertEquals(Ring.pos(RECORDS, 0), chunk.next());
    assertFalse(chunk.hasGap());
  }

  @Test
  void resumes_from_the_last_records_cursor_at_the_end_of_the_log_without_waiting() throws Exception {
    Backfill.Chunk chunk = fetch(0, Ring.pos(RECORDS - 1, Cursors.WHOLE), Ring.pos(RECORDS, 0));
    assertEquals(List.of(), chunk.items());
    assertEquals(Ring.pos(RECORDS, 0), chunk.next());
  }

  @Test
  void reads_the_part_of_a_record_before_an_end_inside_it() throws Exception {
    // The end is the second access record of the last Kafka record: that record is read, its first kept.
    Backfill.Chunk chunk = fetch(0, Ring.pos(RECORDS - 2, 0), Ring.pos(RECORDS - 1, 1));
    assertEquals(List.of(Ring.pos(RECORDS - 2, 0), Ring.pos(RECORDS - 2, 1), Ring.pos(RECORDS - 1, 0)),
        chunk.items().stream().map(Ring.Item::pos).toList());
    assertEquals(Ring.pos(RECORDS - 1, 1), chunk.next());
  }

  @Test
  void reads_an_empty_partition_to_its_end_at_once() throws Exception {
    Backfill.Chunk chunk = fetch(1, -1, Ring.pos(0, 0));
    assertEquals(List.of(), chunk.items());
    assertEquals(Ring.pos(0, 0), chunk.next());
  }
}
