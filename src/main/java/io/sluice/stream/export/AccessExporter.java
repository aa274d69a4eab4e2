package io.sluice.stream.export;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.settings.NodeSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access records to Kafka, on a thread of its own: event loops hand batches over a bounded queue
 * ({@link #submit} never blocks), this thread encodes them and sends them with an idempotent, compressed
 * producer (acks=all) keyed by tenant. A record Kafka does not take (send refused, or not acknowledged
 * within kafka.delivery_timeout_ms) goes to the on-disk {@link Spool}, and so does every record after it
 * until the spool has been replayed in order; a record is dropped only when the spool is full (or the
 * hand-over queue overflows), and every drop is counted and logged at most every {@link #DROP_LOG_MS} ms.
 */
public final class AccessExporter implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AccessExporter.class);
  /** Batches waiting for this thread: at 256 records a batch, about a million records (seconds of traffic). */
  static final int QUEUE_BATCHES = 4096;
  /** At most one drop warning this often, with the count since the last one. */
  static final long DROP_LOG_MS = 10_000;
  /** Replay attempts while Kafka is down: capped exponential backoff with full jitter. */
  static final long RETRY_BASE_MS = 250;
  static final long RETRY_CAP_MS = 5_000;
  /** How long a reachability probe may take before Kafka counts as still down. */
  static final long PROBE_MS = 2_000;

  private final NodeSettings.Kafka kafka;
  private final BlockingQueue<List<AccessRecord>> queue = new ArrayBlockingQueue<>(QUEUE_BATCHES);
  /** Records the producer failed to deliver (its callbacks run on its I/O thread). */
  private final ConcurrentLinkedQueue<Spool.Entry> failed = new ConcurrentLinkedQueue<>();
  private final Spool spool;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Admin admin;
  private final Thread thread;
  private volatile boolean running = true;

  private final Counter exported;
  private final Counter spooled;
  private final Counter dropped;
  private final Timer lag;
  private final AtomicLong dropsSinceLog = new AtomicLong();
  private volatile long lastDropLog;

  /** Thread-confined to {@link #thread}. */
  private boolean spooling;
  private boolean topicReady;
  private int replayFailures;
  private long nextReplay;
  private final AtomicInteger inFlight = new AtomicInteger();

  public AccessExporter(NodeSettings.Kafka kafka, String bootstrap, NodeSettings.Spool spoolSettings,
                        MeterRegistry registry) {
    this.kafka = kafka;
    this.spool = new Spool(Path.of(spoolSettings.dir()), spoolSettings.maxBytes());
    this.producer = new KafkaProducer<>(producerConfig(bootstrap, kafka.deliveryTimeoutMs()),
        new ByteArraySerializer(), new ByteArraySerializer());
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PROBE_MS,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) PROBE_MS,
        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000));
    exported = Counter.builder("sluice.stream.records.exported").description("Access records acknowledged by Kafka")
        .register(registry);
    spooled = Counter.builder("sluice.stream.records.spooled")
        .description("Access records written to the on-disk spool while Kafka was unreachable").register(registry);
    dropped = Counter.builder("sluice.stream.records.dropped")
        .description("Access records lost: spool full or hand-over queue full").register(registry);
    lag = Timer.builder("sluice.stream.export.lag")
        .description("From a request's completion to its record's acknowledgement by Kafka")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    Gauge.builder("sluice.stream.spool.bytes", spool, Spool::bytes).description("Bytes held in the spool")
        .baseUnit("bytes").register(registry);
    if (!spool.isEmpty()) {
      LOG.info("spool in {} holds {} bytes of access records from before; replaying them first",
          spoolSettings.dir(), spool.bytes());
      spooling = true;
    }
    thread = new Thread(this::run, "sluice-access-exporter");
    thread.setDaemon(true);
    thread.start();
  }

  private static Properties producerConfig(String bootstrap, int deliveryTimeoutMs) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // A few ms of batching: far below the stream's latency budget, and batches compress well.
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(500, deliveryTimeoutMs - 1000));
    // send() blocks only for metadata or a full buffer; this thread then spools instead of waiting long.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-access-exporter");
    return p;
  }

  /** Hands a batch over (any thread; never blocks). A full queue drops the batch, counted and logged. */
  public void submit(List<AccessRecord> batch) {
    if (!running || !queue.offer(batch)) {
      drop(batch.size(), "the exporter's queue is full");
    }
  }

  private void drop(int n, String why) {
    dropped.increment(n);
    long since = dropsSinceLog.addAndGet(n);
    long now = System.currentTimeMillis();
    if (now - lastDropLog >= DROP_LOG_MS) {
      lastDropLog = now;
      dropsSinceLog.addAndGet(-since);
      LOG.warn("{} access record(s) dropped: {} (sluice_stream_records_dropped_total counts them all)", since, why);
    }
  }

  private void run() {
    nextReplay = System.currentTimeMillis();
    if (!spooling) {
      ensureTopic();
    }
    while (running || !queue.isEmpty()) {
      try {
        List<AccessRecord> batch = queue.poll(spooling ? 50 : 100, TimeUnit.MILLISECONDS);
        drainFailed();
        if (batch != null) {
          handle(batch);
        }
        if (spooling && System.currentTimeMillis() >= nextReplay) {
          replay();
        }
        if (batch == null) {
          spool.flush();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        LOG.warn("access exporter: {}", e.toString());
      }
    }
  }

  private void handle(List<AccessRecord> batch) throws IOException {
    for (AccessRecord r : batch) {
      Spool.Entry e = new Spool.Entry(r.tenant() == null ? null : r.tenant().getBytes(StandardCharsets.UTF_8),
          r.toJson());
      if (!spooling && !topicReady) {
        ensureTopic(); // on failure this starts spooling
      }
      if (spooling) {
        toSpool(e);
      } else {
        send(e, r.tsMillis());
      }
    }
  }

  private void send(Spool.Entry e, long tsMillis) throws IOException {
    try {
      inFlight.incrementAndGet();
      producer.send(new ProducerRecord<>(kafka.topic(), e.key(), e.value()), (meta, err) -> {
        inFlight.decrementAndGet();
        if (err == null) {
          exported.increment();
          lag.record(Math.max(0, System.currentTimeMillis() - tsMillis), TimeUnit.MILLISECONDS);
        } else {
          failed.add(e);
        }
      });
    } catch (RuntimeException refused) {
      inFlight.decrementAndGet();
      startSpooling(refused);
      toSpool(e);
    }
  }

  private void drainFailed() throws IOException {
    Spool.Entry e = failed.poll();
    if (e != null) {
      startSpooling(null);
    }
    while (e != null) {
      toSpool(e);
      e = failed.poll();
    }
  }

  private void startSpooling(Exception why) {
    if (!spooling) {
      spooling = true;
      replayFailures = 0;
      nextReplay = System.currentTimeMillis() + RETRY_BASE_MS;
      LOG.warn("Kafka is not taking access records ({}); spooling them to disk until it does",
          why == null ? "delivery failed" : why.toString());
    }
  }

  private void toSpool(Spool.Entry e) throws IOException {
    if (spool.append(e)) {
      spooled.increment();
    } else {
      drop(1, "the spool is full (spool.max_bytes)");
    }
  }

  /** Creates the topic when missing; false while Kafka cannot be reached. */
  private boolean ensureTopic() {
    if (topicReady) {
      return true;
    }
    try {
      NewTopic topic = new NewTopic(kafka.topic(), java.util.Optional.of(kafka.partitions()), java.util.Optional.empty())
          .configs(Map.of("retention.ms", Long.toString(kafka.retentionMs())));
      admin.createTopics(List.of(topic)).all().get(PROBE_MS, TimeUnit.MILLISECONDS);
      LOG.info("created topic {} ({} partitions, retention {} ms)", kafka.topic(), kafka.partitions(),
          kafka.retentionMs());
      topicReady = true;
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        topicReady = true;
      } else {
        startSpooling(e);
      }
    } catch (Exception e) {
      startSpooling(e);
    }
    return topicReady;
  }

  /** Sends the spool, oldest segment first, deleting each once Kafka has acknowledged all of it. */
  private void replay() throws IOException, InterruptedException {
    if (!ensureTopic() || !reachable()) {
      backoff();
      return;
    }
    while (!spool.isEmpty()) {
      long segment = spool.oldest();
      List<Spool.Entry> entries = spool.read(segment);
      AtomicInteger failures = new AtomicInteger();
      for (Spool.Entry e : entries) {
        producer.send(new ProducerRecord<>(kafka.topic(), e.key(), e.value()), (meta, err) -> {
          if (err == null) {
            exported.increment();
          } else {
            failures.incrementAndGet();
          }
        });
      }
      producer.flush();
      if (failures.get() > 0) {
        // The segment stays; what Kafka took of it will be sent again (at least once, never lost).
        LOG.warn("spool replay: {} of {} records not acknowledged; retrying", failures.get(), entries.size());
        backoff();
        return;
      }
      spool.delete(segment);
      // What queued up meanwhile goes behind the rest of the spool, so the order holds.
      List<AccessRecord> batch;
      while ((batch = queue.poll()) != null) {
        handle(batch);
      }
      drainFailed();
    }
    spooling = false;
    replayFailures = 0;
    LOG.info("spool replayed; access records go straight to Kafka again");
  }

  private boolean reachable() {
    try {
      admin.describeCluster().nodes().get(PROBE_MS, TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private void backoff() {
    long cap = Math.min(RETRY_CAP_MS, RETRY_BASE_MS << Math.min(replayFailures++, 10));
    nextReplay = System.currentTimeMillis() + ThreadLocalRandom.current().nextLong(cap + 1);
  }

  /** Whether records currently go to the spool (Kafka unreachable or the spool still replaying). */
  public boolean spooling() {
    return spooling;
  }

  /** Bytes of records waiting in the spool. */
  public long spoolBytes() {
    return spool.bytes();
  }

  /**
   * Stops: what is queued is sent (or spooled), the producer gets a few seconds to deliver, and whatever it
   * could not deliver is spooled for the next start. Blocking.
   */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(10_000);
      // Still replaying into an unreachable Kafka: closing the producer fails what it holds, which ends
      // the replay (its segment stays on disk for the next start).
      producer.close(Duration.ofSeconds(5));
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("access exporter did not stop in time; the spool is left as it is for the next start");
    } else {
      try {
        drainFailed(); // what the producer could not deliver before closing waits in the spool
        spool.close();
      } catch (IOException e) {
        LOG.warn("spool close: {}", e.toString());
      }
    }
    admin.close(Duration.ofSeconds(2));
  }
}
