package io.sluice.stream.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one live reader of the access topic: a consumer on its own thread, assigned every partition
 * from the end, appending what it reads to one {@link Ring} per partition. Every subscriber of the node
 * reads from those rings, so N clients following the same tenant (or any tenants) cost one read from Kafka.
 * A partition nobody on this node follows is not read at all (paused), so export costs no reads here.
 */
final class TailReader implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TailReader.class);
  private static final JsonFactory JSON = new JsonFactory();

  private final String topic;
  private final int ringCapacity;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Ring[] rings;
  /** Subscribers following each partition; the reader reads (and keeps live) only partitions with some. */
  private volatile java.util.concurrent.atomic.AtomicIntegerArray watchers;
  private final List<Runnable> readyWaiters = new CopyOnWriteArrayList<>();
  /** Thread-confined to the reader: per partition, the copies judge. */
  private Dedup[] dedups;
  /** Reads the window before a partition's start when a resent chunk needs it (rare: opened on first use). */
  private KafkaConsumer<byte[], byte[]> primer;
  private final String bootstrap;

  TailReader(String bootstrap, String topic, int ringCapacity) {
    this.topic = topic;
    this.ringCapacity = ringCapacity;
    this.bootstrap = bootstrap;
    java.util.Properties p = Backfill.consumerConfig(bootstrap, "sluice-stream-tail");
    p.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    // Hand records over as soon as the broker has them: the stream's latency is the point.
    p.put(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    thread = new Thread(this::run, "sluice-stream-tail");
    thread.setDaemon(true);
    thread.start();
  }

  /** The partition holding a tenant's records: the producer's default partitioner for the key. */
  static int partitionOf(String tenant, int partitions) {
    return Utils.toPositive(Utils.murmur2(tenant.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The rings, one per partition, or null until the topic has been found and the reader positioned. */
  Ring[] rings() {
    return rings;
  }

  /** A subscriber follows {@code partition} (call once the rings exist); the reader starts reading it. */
  void watch(int partition) {
    if (watchers.getAndIncrement(partition) == 0) {
      consumer.wakeup(); // attach it now rather than after the current poll
    }
  }

  void unwatch(int partition) {
    watchers.decrementAndGet(partition);
  }

  /** Runs {@code r} once the rings exist (at once, on this thread, when they already do). */
  void whenReady(Runnable r) {
    if (rings != null) {
      r.run();
      return;
    }
    readyWaiters.add(r);
    if (rings != null && readyWaiters.remove(r)) {
      r.run();
    }
  }

  private void run() {
    List<TopicPartition> tps = awaitTopic();
    if (tps == null) {
      return;
    }
    consumer.assign(tps);
    consumer.pause(tps);
    Ring[] made = new Ring[tps.size()];
    for (TopicPartition tp : tps) {
      made[tp.partition()] = new Ring(ringCapacity);
    }
    boolean[] attached = new boolean[made.length];
    dedups = new Dedup[made.length];
    for (int i = 0; i < made.length; i++) {
      dedups[i] = new Dedup();
    }
    watchers = new java.util.concurrent.atomic.AtomicIntegerArray(made.length);
    rings = made;
    LOG.info("stream: following {} ({} partitions)", topic, made.length);
    readyWaiters.forEach(Runnable::run);
    readyWaiters.clear();
    while (running) {
      try {
        attachWatched(tps, made, attached);
        ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(200));
        for (TopicPartition tp : polled.partitions()) {
          if (!attached[tp.partition()]) {
            continue;
          }
          List<ConsumerRecord<byte[], byte[]>> recs = polled.records(tp);
          List<Ring.Item> items = new ArrayList<>(recs.size() * 8);
          Dedup dedup = dedups[tp.partition()];
          long next = recs.get(recs.size() - 1).offset() + 1;
          for (ConsumerRecord<byte[], byte[]> rec : recs) {
            if (dedup.needsPrime(rec.offset(), rec.headers()) && !prime(tp, dedup, rec.offset())) {
              consumer.seek(tp, rec.offset()); // judged once the window before the start can be read
              next = rec.offset();
              break;
            }
            if (!dedup.duplicate(rec.offset(), rec.headers())) {
              items.addAll(items(rec));
            }
          }
          made[tp.partition()].append(items, next);
        }
      } catch (org.apache.kafka.common.errors.WakeupException | org.apache.kafka.common.errors.InterruptException e) {
        // a new watcher, or closing: the loop decides
      } catch (RuntimeException e) {
        if (running) {
          LOG.warn("stream tail reader: {}; retrying", e.toString());
          try {
            Thread.sleep(200);
          } catch (InterruptedException ie) {
            break;
          }
        }
      }
    }
    if (primer != null) {
      primer.close(Duration.ofSeconds(1)); // on this thread: a consumer is not for two threads
    }
  }

  /**
   * Reads the partitions some subscriber follows, from their end (the ring starts over there: older records
   * come from Backfill), and stops reading the others.
   */
  private void attachWatched(List<TopicPartition> tps, Ring[] made, boolean[] attached) {
    for (TopicPartition tp : tps) {
      int p = tp.partition();
      boolean wanted = watchers.get(p) > 0;
      if (wanted && !attached[p]) {
        consumer.seekToEnd(List.of(tp));
        long position = consumer.position(tp);
        dedups[p].start(position);
        consumer.resume(List.of(tp));
        attached[p] = true;
        made[p].reset(position);
      } else if (!wanted && attached[p]) {
        consumer.pause(List.of(tp));
        attached[p] = false;
        made[p].detach();
      }
    }
  }

  /**
   * Reads the window before {@code tp}'s start into {@code dedup}, to judge the resent chunk at {@code offset};
   * false (logged) when Kafka did not hand it over.
   */
  private boolean prime(TopicPartition tp, Dedup dedup, long offset) {
    long t0 = System.nanoTime();
    try {
      if (primer == null) {
        primer = new KafkaConsumer<>(Backfill.consumerConfig(bootstrap, "sluice-stream-tail-window"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer());
      }
      primer.assign(List.of(tp));
      long begin = primer.beginningOffsets(List.of(tp)).get(tp);
      dedup.prime(primer, tp, begin);
      LOG.info("stream: read the window before the start of partition {} to judge the resent chunk at offset {}"
          + " ({} ms)", tp.partition(), offset, (System.nanoTime() - t0) / 1_000_000);
      return true;
    } catch (RuntimeException e) {
      LOG.warn("stream: the resent chunk at offset {} of partition {} waits: {}", offset, tp.partition(),
          e.toString());
      return false;
    }
  }

  /** The topic's partitions, waiting (retrying) while it does not exist yet or Kafka is unreachable. */
  private List<TopicPartition> awaitTopic() {
    while (running) {
      try {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
        if (infos != null && !infos.isEmpty()) {
          List<TopicPartition> tps = new ArrayList<>();
          for (int i = 0; i < infos.size(); i++) {
            tps.add(new TopicPartition(topic, i));
          }
          return tps;
        }
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        return null;
      } catch (RuntimeException e) {
        LOG.debug("stream: topic {} not readable yet: {}", topic, e.toString());
      }
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return null;
      }
    }
    return null;
  }

  /**
   * The access records of one Kafka record (JSON lines; one JSON object in records of an older Sluice), each
   * with what a subscriber filters on; the JSON is kept as is for the frame. The Kafka key is the tenant's.
   */
  static List<Ring.Item> items(ConsumerRecord<byte[], byte[]> rec) {
    String tenant = rec.key() == null ? null : new String(rec.key(), StandardCharsets.UTF_8);
    byte[] v = rec.value() == null ? new byte[0] : rec.value();
    List<Ring.Item> out = new ArrayList<>();
    int start = 0;
    int index = 0;
    while (start < v.length) {
      int end = start;
      while (end < v.length && v[end] != '\n') {
        end++;
      }
      if (end > start) {
        out.add(item(rec.offset(), index++, tenant, v, start, end - start));
      }
      start = end + 1;
    }
    if (!out.isEmpty()) {
      Ring.Item lastItem = out.get(out.size() - 1);
      out.set(out.size() - 1, new Ring.Item(lastItem.pos(), true, lastItem.tenant(), lastItem.route(),
          lastItem.status(), lastItem.json()));
    }
    return out;
  }

  private static Ring.Item item(long offset, int index, String tenant, byte[] bytes, int from, int len) {
    String json = new String(bytes, from, len, StandardCharsets.UTF_8);
    String route = null;
    int status = 0;
    try (JsonParser p = JSON.createParser(bytes, from, len)) {
      if (p.nextToken() == JsonToken.START_OBJECT) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonToken v = p.nextToken();
          if (name.equals("dropped")) {
            status = Ring.LOSS; // a loss marker, not a record (see AccessExporter)
            break;
          } else if (name.equals("route") && v == JsonToken.VALUE_STRING) {
            route = p.getText();
          } else if (name.equals("status") && v == JsonToken.VALUE_NUMBER_INT) {
            status = p.getIntValue();
          } else {
            p.skipChildren();
          }
        }
      }
    } catch (IOException e) {
      // a record that is not JSON is framed as it is; filters see no route and status 0
    }
    return new Ring.Item(Ring.pos(offset, index), false, tenant, route, status, json);
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(3_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close(Duration.ofSeconds(1));
  }
}
