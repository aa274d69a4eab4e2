package io.sluice.stream.export;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.settings.NodeSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access records to Kafka, on a thread of its own. Event loops hand batches over a bounded queue
 * ({@link #submit} never blocks); this thread takes whatever has gathered, encodes it in bulk into one
 * chunk per tenant ({@link Batch}: JSON lines, one Kafka record each), appends it to the write-ahead
 * {@link Wal} and only then sends it, with an idempotent, compressed producer (acks=all). The spool
 * position advances over a batch once Kafka has acknowledged it and every batch before it. When a send
 * fails (refused, or not acknowledged within kafka.delivery_timeout_ms), nothing newer is sent: once
 * every send in flight has settled and Kafka answers again, sending resumes from the first batch not
 * acknowledged, in order. What Kafka had taken after that point is then in the log twice; each chunk's
 * identity (writer, sequence) and the mark on every chunk sent again ({@link #RESENT_HEADER}) let readers
 * drop the second copy. A record is dropped only when the spool is full (or the hand-over queue
 * overflows): {@link Losses} counts and logs it, and the next frame that fits carries a loss marker for
 * each tenant concerned (a gap frame for its subscribers).
 */
public final class AccessExporter implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AccessExporter.class);
  /** Kafka header names of a chunk's identity: the writer (one per exporter start) and its sequence (8 bytes each). */
  public static final String WRITER_HEADER = "sluice.w";
  public static final String SEQ_HEADER = "sluice.s";
  /**
   * Kafka header on a chunk this exporter may have sent before (a resend after a failed or timed-out send, or
   * a replay of an older process's spool): only such a chunk can be a copy, so readers judge only these.
   */
  public static final String RESENT_HEADER = "sluice.r";
  private static final byte[] RESENT = {1};
  /** Batches waiting for this thread: at 256 records a batch, about a million records (seconds of traffic). */
  static final int QUEUE_BATCHES = 4096;
  /** Records waiting in order for older ones, at most (then hand-overs are dropped, as at a full queue). */
  static final long HELD_RECORDS = (long) QUEUE_BATCHES * LoopBuffer.MAX_BATCH;
  /** Records taken into one spool frame at most: bounds a frame (and a replay read) to a few MiB. */
  static final int FRAME_RECORDS = 8192;
  /** Bytes of frames sent and not yet acknowledged: past it the rest waits in the spool, read back later. */
  static final long IN_FLIGHT_BYTES = 16L * 1024 * 1024;
  /** Records pending for this long without one acknowledgement: Kafka is not taking them (health degraded). */
  static final long STALL_MS = 1_000;
  /** How long close() keeps sending what is pending before leaving it in the spool for the next start. */
  static final long CLOSE_MS = 5_000;

  private final NodeSettings.Kafka kafka;
  private final BlockingQueue<Handover> queue = new ArrayBlockingQueue<>(QUEUE_BATCHES);
  /** Puts the loops' records back in completion order (thread-confined to {@link #thread} but for stamping). */
  private final Sequencer sequencer = new Sequencer();
  private final Wal wal;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaRetry retry;
  private final Thread thread;
  /** This process's identity in chunk ids: a replay of an older process's frames keeps that process's. */
  private final long writer = new SecureRandom().nextLong();
  private volatile boolean running = true;
  private volatile long closeDeadline = Long.MAX_VALUE;

  private final ExportMeters meters;
  private final Losses losses;

  /** Thread-confined to {@link #thread}. */
  private long nextSeq = 1;
  /** Where chunks are encoded (kept: no buffer per record or per chunk but the chunk's own copy). */
  private final JsonOut json = new JsonOut(64 * 1024);
  private Wal.Pos sendPos;
  /** The end of the furthest frame this process has sent (null: none): a frame before it is sent again. */
  private Wal.Pos sentTo;
  /**
   * Frames ending here or before waited in the spool for Kafka (null: none did): those not acknowledged when sending
   * resumed, or when this process started. Each is counted in records.spooled once, when Kafka acknowledges it.
   */
  private Wal.Pos waitedTo;
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private long inFlightBytes;
  private Batch lastBatch;
  private Wal.Pos lastBatchAt;
  private Wal.Pos lastBatchEnd;
  private int lastBatchSize;
  /** Read by health checks. */
  private volatile boolean sending;
  private volatile long pendingSince;
  private volatile long spoolBytes;
  private volatile long pendingBytes;

  public AccessExporter(NodeSettings.Kafka kafka, String bootstrap, NodeSettings.Spool spoolSettings,
                        MeterRegistry registry) {
    this.kafka = kafka;
    this.wal = new Wal(Path.of(spoolSettings.dir()), spoolSettings.maxBytes(), spoolSettings.syncMs());
    this.sendPos = wal.acked();
    this.sending = true; // until the first send or topic check says otherwise
    this.spoolBytes = wal.bytes();
    this.pendingBytes = wal.pendingBytes();
    this.producer = new KafkaProducer<>(
        KafkaClients.producerConfig(bootstrap, kafka.deliveryTimeoutMs(), kafka.lingerMs(), kafka.compression()),
        new ByteArraySerializer(), new ByteArraySerializer());
    this.retry = new KafkaRetry(kafka, bootstrap);
    meters = new ExportMeters(registry, this);
    losses = new Losses(registry);
    if (wal.acked().compareTo(wal.end()) < 0) {
      waitedTo = wal.end();
      // Not wal.bytes(), the whole segment: 687,201 bytes were said "not acknowledged" where 5,303 were.
      LOG.info("spool in {} holds {} bytes of access records not acknowledged by Kafka; sending them first",
          spoolSettings.dir(), pendingBytes);
      pendingSince = System.currentTimeMillis();
    }
    thread = new Thread(this::run, "sluice-access-exporter");
    thread.setDaemon(true);
    thread.start();
  }

  /** Hands a batch over (any thread; never blocks). A full queue drops the batch, counted and logged. */
  void submit(Handover batch) {
    if (!running || !queue.offer(batch)) {
      losses.drop(batch.asList(), "the exporter's queue is full");
    }
  }

  /** Where event loops take completion stamps and say what they hold ({@link LoopBuffer}). */
  Sequencer sequencer() {
    return sequencer;
  }

  private void run() {
    if (!retry.ensureTopic()) {
      stopSending(new IllegalStateException("topic " + kafka.topic() + " cannot be created or found"));
    }
    while (running || !queue.isEmpty() || sequencer.holding()
        || (System.currentTimeMillis() < closeDeadline && pending())) {
      try {
        boolean busy = !inFlight.isEmpty() || !sending || sendPos.compareTo(wal.end()) < 0 || sequencer.holding();
        Handover first = queue.poll(busy ? 5 : 100, TimeUnit.MILLISECONDS);
        takeInOrder(first);
        losses.logIfDue(); // the drops not said yet, also when no other drop comes
        long now = System.currentTimeMillis();
        wal.maybeSync(now);
        settle(now);
        if (!sending) {
          tryResume(now);
        }
        pump();
        spoolBytes = wal.bytes();
        pendingBytes = wal.pendingBytes();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        LOG.warn("access exporter: {}", e.toString());
        stopSending(e);
      }
    }
    if (!losses.isEmpty()) {
      try {
        write(List.of(), true); // the markers of what the full spool cost, for the next start to send
      } catch (IOException e) {
        LOG.warn("spool: the loss markers could not be written: {}", e.toString());
      }
    }
  }

  private boolean pending() {
    return sending && wal.acked().compareTo(wal.end()) < 0;
  }

  /**
   * Everything handed over so far, and whatever the loops no longer hold back, in completion order, into
   * spool frames (the watermark is read before the queue is drained, see {@link Sequencer}).
   */
  private void takeInOrder(Handover first) throws IOException {
    long watermark = sequencer.watermark(!running);
    for (Handover h = first; h != null; h = queue.poll()) {
      if (sequencer.heldRecords() >= HELD_RECORDS) {
        losses.drop(h.asList(), "the exporter is behind (queue full)");
      } else {
        sequencer.add(h);
      }
    }
    List<AccessRecord> ready;
    do {
      ready = sequencer.release(watermark, FRAME_RECORDS);
      if (!ready.isEmpty() || !losses.isEmpty()) {
        write(ready, false);
      }
    } while (ready.size() == FRAME_RECORDS);
  }

  /**
   * Records encoded in one go into a frame with the loss markers owed, appended to the spool (not yet
   * sent). {@code overCap}: the markers alone at close, written even past the spool's cap.
   */
  private void write(List<AccessRecord> records, boolean overCap) throws IOException {
    List<Losses.Loss> owed = losses.take();
    Batch batch = Batch.encode(writer, nextSeq, records, owed, json);
    if (batch.chunks().isEmpty()) {
      return;
    }
    Wal.Pos at = wal.append(batch, overCap);
    if (at == null) {
      owed.forEach(losses::add);
      losses.drop(records, "the spool is full (spool.max_bytes)");
      return;
    }
    nextSeq = batch.lastSeq(nextSeq) + 1;
    if (pendingSince == 0) {
      pendingSince = System.currentTimeMillis();
    }
    lastBatch = batch;
    lastBatchAt = at;
    lastBatchEnd = wal.end();
    lastBatchSize = batch.size();
  }

  /** Sends frames from the spool position on, while Kafka takes them and not too much is in flight. */
  private void pump() throws IOException {
    while (sending && inFlightBytes < IN_FLIGHT_BYTES && sendPos.compareTo(wal.end()) < 0) {
      Batch b;
      Wal.Pos next;
      int size;
      if (lastBatch != null && sendPos.equals(lastBatchAt)) {
        b = lastBatch;
        next = lastBatchEnd;
        size = lastBatchSize;
      } else {
        Wal.Frame f = wal.read(sendPos);
        if (f == null) {
          return;
        }
        b = Batch.fromBytes(f.payload());
        next = f.next();
        size = f.payload().length;
      }
      lastBatch = null;
      send(b, next, size, b.writer() != writer || (sentTo != null && sendPos.compareTo(sentTo) < 0));
      sendPos = next;
      if (sentTo == null || next.compareTo(sentTo) > 0) {
        sentTo = next;
      }
    }
  }

  /** Sends a frame's chunks; {@code again}: it may have been sent before (its chunks are marked for readers). */
  private void send(Batch b, Wal.Pos end, int size, boolean again) {
    InFlight f = new InFlight(end, size, b);
    inFlight.add(f);
    inFlightBytes += size;
    if (again) {
      meters.resent.increment(b.chunks().size());
    }
    RuntimeException refused = null;
    for (Batch.Chunk c : b.chunks()) {
      if (refused != null) {
        f.onCompletion(null, refused); // not sent: settles as failed, and is sent again later
        continue;
      }
      RecordHeaders headers = new RecordHeaders();
      headers.add(new RecordHeader(WRITER_HEADER, ByteBuffer.allocate(8).putLong(b.writer()).array()));
      headers.add(new RecordHeader(SEQ_HEADER, ByteBuffer.allocate(8).putLong(c.seq()).array()));
      if (again) {
        headers.add(new RecordHeader(RESENT_HEADER, RESENT));
      }
      try {
        producer.send(new ProducerRecord<>(kafka.topic(), null, c.key(), c.value(), headers), f);
      } catch (RuntimeException e) {
        refused = e;
        f.onCompletion(null, e);
      }
    }
    if (refused != null) {
      stopSending(refused); // a refused send (metadata or buffer wait) would block again for the next frame
    }
  }

  /** Takes acknowledged frames off the head, in order; on a failure, stops sending until all have settled. */
  private void settle(long now) throws IOException {
    Wal.Pos ackTo = null;
    while (!inFlight.isEmpty()) {
      InFlight h = inFlight.peek();
      if (h.pending.get() > 0) {
        break;
      }
      if (h.error != null) {
        stopSending(h.error);
        break;
      }
      inFlight.poll();
      inFlightBytes -= h.size;
      meters.exported.increment(h.records);
      if (waitedTo != null && h.end.compareTo(waitedTo) <= 0) {
        meters.spooled.increment(h.records);
      }
      meters.kafkaRecords.increment(h.chunks);
      meters.lag.record(Math.max(0, now - h.oldestTs), TimeUnit.MILLISECONDS);
      ackTo = h.end;
    }
    if (ackTo != null) {
      wal.ack(ackTo);
      retry.succeeded();
      pendingSince = wal.acked().compareTo(wal.end()) < 0 ? now : 0;
    }
    if (!sending && !inFlight.isEmpty() && inFlight.stream().allMatch(f -> f.pending.get() == 0)) {
      // Every send has settled: start over from the first frame Kafka has not acknowledged.
      inFlight.clear();
      inFlightBytes = 0;
      sendPos = wal.acked();
      lastBatch = null;
    }
  }

  private void stopSending(Exception why) {
    if (sending) {
      sending = false;
      LOG.warn("Kafka is not taking access records ({}); they wait in the spool until it does", why.toString());
      retry.failed();
    }
  }

  /** While stopped: once nothing is in flight, probes Kafka (without blocking) and resumes when it answers. */
  private void tryResume(long now) {
    if (!inFlight.isEmpty() || !Boolean.TRUE.equals(retry.poll(now))) {
      return;
    }
    sending = true;
    sendPos = wal.acked();
    lastBatch = null;
    // Everything not acknowledged now waited for Kafka: what was written while it was down, and what was written
    // or in flight before the failure showed (kafka.delivery_timeout_ms can pass before a send fails).
    waitedTo = wal.end();
    if (retry.failedBefore()) {
      LOG.info("Kafka takes access records again; sending the {} bytes waiting in the spool", wal.bytes());
    }
  }

  /**
   * Whether records have stopped leaving: Kafka refused or timed out a send, or records have been pending
   * for {@link #STALL_MS} without one acknowledgement (a frozen broker answers nothing at all).
   */
  public boolean spooling() {
    long since = pendingSince;
    return !sending || (since > 0 && System.currentTimeMillis() - since > STALL_MS);
  }

  /** Bytes in the write-ahead spool (records not yet acknowledged, and the rest of their segment). */
  public long spoolBytes() {
    return spoolBytes;
  }

  /**
   * Bytes in the spool that Kafka has not acknowledged yet: a few batches in flight while it takes them, growing
   * while it does not ({@link #spoolBytes} also counts acknowledged frames until their segment is freed).
   */
  public long pendingBytes() {
    return pendingBytes;
  }

  /**
   * Stops: what is queued is written to the spool, what is pending gets up to {@link #CLOSE_MS} to reach
   * Kafka, and whatever has not is sent at the next start. Blocking.
   */
  @Override
  public void close() {
    closeDeadline = System.currentTimeMillis() + CLOSE_MS;
    running = false;
    try {
      thread.join(CLOSE_MS + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(1));
    if (pendingBytes > 0) {
      LOG.warn("stopping with {} bytes of access records unacknowledged by Kafka in {}: the next start with this"
          + " spool.dir sends them (lost with a volume that dies with the pod)", pendingBytes, wal.dir());
    }
    if (thread.isAlive()) {
      LOG.warn("access exporter did not stop in time; the spool is left as it is for the next start");
    } else {
      try {
        wal.close();
      } catch (IOException e) {
        LOG.warn("spool close: {}", e.toString());
      }
    }
    retry.close();
  }
}
