package io.sluice.stream.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.stream.export.AccessExporter;
import io.sluice.testing.SharedKafka;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Copies of a chunk: only a chunk marked as sent again is judged, against the window before it, and every
 * reader judges alike wherever it starts (the ring's reader and a backfill from a cursor, both with a real
 * broker), reading the window before its start only when a marked chunk needs it.
 */
class DedupTest {

  private static final long WAIT_S = 30;
  private static final long WRITER = 0x5eed;

  private static Headers chunk(long writer, long seq, boolean resent) {
    RecordHeaders h = new RecordHeaders();
    h.add(new RecordHeader(AccessExporter.WRITER_HEADER, ByteBuffer.allocate(8).putLong(writer).array()));
    h.add(new RecordHeader(AccessExporter.SEQ_HEADER, ByteBuffer.allocate(8).putLong(seq).array()));
    if (resent) {
      h.add(new RecordHeader(AccessExporter.RESENT_HEADER, new byte[] {1}));
    }
    return h;
  }

  @Test
  void a_marked_chunk_is_a_copy_only_of_an_identity_within_the_window_before_it() {
    Dedup d = new Dedup();
    d.start(0);
    assertFalse(d.duplicate(0, chunk(WRITER, 1, false)));
    assertFalse(d.duplicate(1, chunk(WRITER, 2, false)));
    assertTrue(d.duplicate(2, chunk(WRITER, 1, true)), "the resend of seq 1");
    assertTrue(d.duplicate(3, chunk(WRITER, 1, true)), "a second resend of seq 1");
    assertFalse(d.duplicate(4, chunk(WRITER, 3, true)), "a resend whose first send never landed");
    assertFalse(d.duplicate(5, chunk(WRITER + 1, 2, true)), "another writer's seq 2");
    assertFalse(d.duplicate(6, chunk(WRITER, 2, false)), "a first send is never judged a copy");
    assertFalse(d.duplicate(7, new RecordHeaders()), "no identity (an older Sluice): never a copy");
    // Past the window: delivered again (the documented bound).
    assertFalse(d.duplicate(7 + Dedup.WINDOW + 1, chunk(WRITER, 3, true)));
  }

  @Test
  void only_a_marked_chunk_near_the_start_needs_the_window_before_it() {
    Dedup d = new Dedup();
    d.start(50_000);
    assertFalse(d.needsPrime(50_000, chunk(WRITER, 9, false)), "first sends are delivered at once");
    assertFalse(d.needsPrime(50_001, new RecordHeaders()));
    assertTrue(d.needsPrime(50_002, chunk(WRITER, 9, true)));
    assertTrue(d.needsPrime(50_000 + Dedup.WINDOW - 1, chunk(WRITER, 9, true)));
    assertFalse(d.needsPrime(50_000 + Dedup.WINDOW, chunk(WRITER, 9, true)), "its window starts at the start");
  }

  @Test
  void every_reader_drops_the_same_copy_wherever_it_starts() throws Exception {
    String bootstrap = SharedKafka.bootstrap();
    String topic = "dedup-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(WAIT_S, TimeUnit.SECONDS);
    }
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new ByteArraySerializer(),
        new ByteArraySerializer());
         TailReader tail = new TailReader(bootstrap, topic, 1_000);
         Backfill backfill = new Backfill(bootstrap, topic, 300_000)) {
      // Offsets 0 to 3: seq 1 to 4, first sends.
      for (int seq = 1; seq <= 4; seq++) {
        send(producer, topic, seq, false);
      }
      // The ring's reader starts following at offset 4, after the original of seq 2.
      awaitReady(tail);
      tail.watch(0);
      Ring ring = tail.rings()[0];
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
      while (!ring.live() || ring.end() != Ring.pos(4, 0)) {
        assertTrue(System.nanoTime() < deadline, "the ring attaches at the log's end");
        Thread.sleep(20);
      }
      // Offsets 4 to 7: seq 2 and 3 again (marked: a replay), then seq 5 (a first send), seq 6 marked but new.
      send(producer, topic, 2, true);
      send(producer, topic, 3, true);
      send(producer, topic, 5, false);
      send(producer, topic, 6, true);
      while (ring.end() < Ring.pos(8, 0)) {
        assertTrue(System.nanoTime() < deadline, "the ring reads the four new records");
        Thread.sleep(20);
      }
      List<Ring.Item> fromRing = new ArrayList<>();
      ring.read(Ring.pos(4, 0), 100, fromRing);
      assertEquals(List.of("5", "6"), seqs(fromRing), "the copies of 2 and 3 dropped by the live reader");

      // A backfill from offset 0 (the originals inside its range), from 3 (one before it) and from 4 (none).
      assertEquals(List.of("1", "2", "3", "4", "5", "6"), seqs(backfill(backfill, 0)));
      assertEquals(List.of("4", "5", "6"), seqs(backfill(backfill, 3)));
      assertEquals(List.of("5", "6"), seqs(backfill(backfill, 4)));
      assertEquals(List.of("6"), seqs(backfill(backfill, 7)));
    }
  }

  private static List<Ring.Item> backfill(Backfill b, long fromOffset) throws Exception {
    return b.fetch(0, Ring.pos(fromOffset, 0), Ring.pos(8, 0), new Dedup()).get(WAIT_S, TimeUnit.SECONDS).items();
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String topic, int seq, boolean resent)
      throws Exception {
    byte[] value = ("{\"status\":200,\"seq\":\"" + seq + "\"}\n").getBytes(StandardCharsets.UTF_8);
    producer.send(new ProducerRecord<>(topic, 0, null, "acme".getBytes(StandardCharsets.UTF_8), value,
        chunk(WRITER, seq, resent))).get(WAIT_S, TimeUnit.SECONDS);
  }

  private static List<String> seqs(List<Ring.Item> items) {
    List<String> out = new ArrayList<>();
    for (Ring.Item it : items) {
      String json = it.json();
      out.add(json.substring(json.indexOf("\"seq\":\"") + 7, json.lastIndexOf('"')));
    }
    return out;
  }

  private static void awaitReady(TailReader tail) throws InterruptedException {
    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
    tail.whenReady(ready::countDown);
    assertTrue(ready.await(WAIT_S, TimeUnit.SECONDS), "the reader finds the topic");
  }
}
