package io.sluice.stream.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads older records than the node's rings hold, for subscribers resuming from an old cursor or from the
 * earliest record: one consumer on one thread for the whole node, serving requests in turn, each a bounded
 * chunk, so a thousand catching-up clients cost one connection to Kafka and a bounded amount of memory.
 */
final class Backfill implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);
  /** Records per chunk: a subscriber writes a chunk, then asks for the next once its socket has room. */
  static final int CHUNK = 500;
  /** A chunk that cannot be read this fast (Kafka down) comes back short; the subscriber asks again. */
  static final long CHUNK_MS = 3_000;

  /** A chunk: records in [from, next), and the offsets lost to retention when the start was before the log's. */
  record Chunk(List<Ring.Item> items, long next, long gapFrom, long gapTo) {
    boolean hasGap() {
      return gapFrom >= 0;
    }
  }

  private record Request(int partition, long from, long until, CompletableFuture<Chunk> result) {}

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  Backfill(String bootstrap, String topic) {
    this.topic = topic;
    this.consumer = new KafkaConsumer<>(consumerConfig(bootstrap, "sluice-stream-backfill"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    thread = new Thread(this::run, "sluice-stream-backfill");
    thread.setDaemon(true);
    thread.start();
  }

  static Properties consumerConfig(String bootstrap, String clientId) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // An offset lost to retention is an error here (reported as a gap), never a silent jump.
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, CHUNK);
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    return p;
  }

  /**
   * Records of {@code partition} from {@code from} (or from the log's start when negative) up to
   * {@code until} (exclusive), at most {@link #CHUNK}.
   */
  CompletableFuture<Chunk> fetch(int partition, long from, long until) {
    CompletableFuture<Chunk> result = new CompletableFuture<>();
    requests.add(new Request(partition, from, until, result));
    return result;
  }

  private void run() {
    while (running) {
      Request r;
      try {
        r = requests.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (r == null) {
        continue;
      }
      try {
        r.result().complete(read(r));
      } catch (Exception e) {
        LOG.debug("backfill of partition {} from {}: {}", r.partition(), r.from(), e.toString());
        r.result().completeExceptionally(e);
      }
    }
  }

  private Chunk read(Request r) {
    TopicPartition tp = new TopicPartition(topic, r.partition());
    consumer.assign(List.of(tp));
    long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
    long start = r.from() < 0 ? begin : r.from();
    long gapFrom = -1;
    long gapTo = -1;
    if (start < begin) {
      gapFrom = start;
      gapTo = begin - 1;
      start = begin;
    }
    List<Ring.Item> items = new ArrayList<>();
    long next = start;
    if (start >= r.until()) {
      return new Chunk(items, start, gapFrom, gapTo);
    }
    consumer.seek(tp, start);
    long deadline = System.currentTimeMillis() + CHUNK_MS;
    while (items.size() < CHUNK && next < r.until() && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
        if (rec.offset() >= r.until() || items.size() >= CHUNK) {
          break;
        }
        items.add(TailReader.item(rec));
        next = rec.offset() + 1;
      }
      if (items.size() < CHUNK && consumer.position(tp) >= r.until()) {
        next = r.until(); // nothing else below until (offsets are not contiguous)
      }
    }
    return new Chunk(items, next, gapFrom, gapTo);
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close(Duration.ofSeconds(1));
    Request r;
    while ((r = requests.poll()) != null) {
      r.result().completeExceptionally(new IllegalStateException("node stopping"));
    }
  }
}
