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

  /**
   * A chunk: records in positions [from, next) (see {@link Ring#pos}), copies dropped, and the offsets lost
   * to retention when the start was before the log's.
   */
  record Chunk(List<Ring.Item> items, long next, long gapFrom, long gapTo) {
    boolean hasGap() {
      return gapFrom >= 0;
    }
  }

  /** Work for the consumer's thread: a chunk, or the end offset of a partition. */
  private interface Task {
    void run();

    void fail(Exception e);
  }

  private record Request(int partition, long from, long until, Dedup dedup, CompletableFuture<Chunk> result) {}

  private final String topic;
  private final long chunkMs;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final LinkedBlockingQueue<Task> requests = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  Backfill(String bootstrap, String topic) {
    this(bootstrap, topic, CHUNK_MS);
  }

  /** With a chunk time of its own: a test lengthens it so that a read waiting for it cannot pass unseen. */
  Backfill(String bootstrap, String topic, long chunkMs) {
    this.topic = topic;
    this.chunkMs = chunkMs;
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
   * Records of {@code partition} from position {@code from} (or from the log's start when negative) up to
   * position {@code until} (exclusive), about {@link #CHUNK} (a Kafka record is never split, but at
   * {@code until}). {@code dedup} is the subscriber's own, used only by this thread while a fetch runs.
   */
  CompletableFuture<Chunk> fetch(int partition, long from, long until, Dedup dedup) {
    CompletableFuture<Chunk> result = new CompletableFuture<>();
    Request r = new Request(partition, from, until, dedup, result);
    requests.add(new Task() {
      @Override
      public void run() {
        result.complete(read(r));
      }

      @Override
      public void fail(Exception e) {
        LOG.debug("backfill of partition {} from {}: {}", partition, from, e.toString());
        dedup.clear();
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /** The log's end offset of {@code partition} (the offset the next record written gets), from Kafka. */
  CompletableFuture<Long> endOffset(int partition) {
    CompletableFuture<Long> result = new CompletableFuture<>();
    requests.add(new Task() {
      @Override
      public void run() {
        TopicPartition tp = new TopicPartition(topic, partition);
        result.complete(consumer.endOffsets(List.of(tp)).get(tp));
      }

      @Override
      public void fail(Exception e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  private void run() {
    while (running) {
      Task t;
      try {
        t = requests.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (t == null) {
        continue;
      }
      try {
        t.run();
      } catch (Exception e) {
        t.fail(e);
      }
    }
  }

  private Chunk read(Request r) {
    TopicPartition tp = new TopicPartition(topic, r.partition());
    consumer.assign(List.of(tp));
    long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
    long from = r.from() < 0 ? Ring.pos(begin, 0) : r.from();
    long startOffset = from >>> Ring.INDEX_BITS;
    long gapFrom = -1;
    long gapTo = -1;
    if (startOffset < begin) {
      gapFrom = startOffset;
      gapTo = begin - 1;
      startOffset = begin;
      from = Ring.pos(begin, 0);
    }
    List<Ring.Item> items = new ArrayList<>();
    long next = from;
    if (from >= r.until()) {
      return new Chunk(items, from, gapFrom, gapTo);
    }
    Dedup dedup = r.dedup();
    if (dedup.fedTo() != startOffset) {
      dedup.start(startOffset); // not where the subscriber's last chunk ended: a judgement starting over
    }
    consumer.seek(tp, startOffset);
    long untilOffset = r.until() >>> Ring.INDEX_BITS;
    long deadline = System.currentTimeMillis() + chunkMs;
    boolean done = false;
    while (!done && items.size() < CHUNK && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
        if (rec.offset() > untilOffset || items.size() >= CHUNK) {
          done = rec.offset() > untilOffset;
          break;
        }
        if (dedup.needsPrime(rec.offset(), rec.headers())) {
          long position = consumer.position(tp);
          dedup.prime(consumer, tp, begin); // a resent chunk near the start: read the window before it first
          consumer.seek(tp, position);
        }
        if (dedup.duplicate(rec.offset(), rec.headers())) {
          next = Math.max(next, Ring.pos(rec.offset() + 1, 0));
          continue;
        }
        for (Ring.Item it : TailReader.items(rec)) {
          if (it.pos() >= r.until()) {
            done = true;
            break;
          }
          if (it.pos() >= next) {
            items.add(it);
            next = it.after();
          }
        }
        next = Math.max(next, Math.min(r.until(), Ring.pos(rec.offset() + 1, 0)));
        if (done) {
          break;
        }
      }
      // Every record before the position has been seen (offsets are not contiguous): done once it reaches
      // until. Up to the log's end that is the end offset itself, the next to be written, never passed.
      if (!done && items.size() < CHUNK && Ring.pos(consumer.position(tp), 0) >= r.until()) {
        done = true;
      }
    }
    if (done) {
      next = Math.max(next, r.until());
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
    Task t;
    while ((t = requests.poll()) != null) {
      t.fail(new IllegalStateException("node stopping"));
    }
  }
}
