package io.sluice.tracing;

import io.netty.util.internal.PlatformDependent;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sampled spans' way out, as the SDK's BatchSpanProcessor does it but for {@link RecordedSpan}s: the event
 * loop offers an ended span to a bounded lock-free queue (full: the span is dropped and counted) and wakes the
 * export thread only when a batch is ready and the thread sleeps; the thread makes the spans' {@link SpanData} and
 * hands them to the exporter in batches, a partial batch after at most {@code delay}.
 */
final class SpanExport {

  private static final Logger LOG = LoggerFactory.getLogger(SpanExport.class);
  /** Spans per export request: the SDK's default batch. */
  static final int BATCH = 512;
  /** The longest a span waits for a batch to fill: the SDK's default schedule delay. */
  static final Duration DELAY = Duration.ofSeconds(5);
  /** The longest one export may take (the SDK's default exporter timeout); the OTLP exporter has its own, shorter. */
  private static final long EXPORT_TIMEOUT_S = 30;

  // Netty's MPSC array queue: the kind the event loops already offer their tasks to, lock-free and bounded.
  private final Queue<RecordedSpan> queue;
  private final SpanExporter exporter;
  private final Resource resource;
  private final InstrumentationScopeInfo scope;
  private final long delayNanos;
  private final Thread thread;
  private final AtomicLong dropped = new AtomicLong();
  /** Spans the exporter accepted, and spans of batches it failed to send (the export thread's counts). */
  private final AtomicLong exported = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicReference<CompletableFuture<Void>> flushing = new AtomicReference<>();
  /** Whether the export thread sleeps (or is about to): only then does a full batch wake it. */
  private volatile boolean waiting;
  /**
   * Spans the export thread holds in its batch while it waits: a full batch counts them with the queue's (a batch
   * started while spans were still being offered would otherwise wait for the delay with 512 spans in hand).
   */
  private volatile int held;
  private volatile boolean stopping;

  SpanExport(SpanExporter exporter, Resource resource, InstrumentationScopeInfo scope, int queueSize,
             Duration delay) {
    this.queue = PlatformDependent.newFixedMpscQueue(Math.max(queueSize, 2));
    this.exporter = exporter;
    this.resource = resource;
    this.scope = scope;
    this.delayNanos = delay.toNanos();
    this.thread = new Thread(this::run, "sluice-span-export");
    thread.setDaemon(true);
    thread.start();
  }

  /** On the event loop: queues an ended span (dropped when the queue is full). */
  void add(RecordedSpan span) {
    if (!queue.offer(span)) {
      dropped.incrementAndGet();
      return;
    }
    if (waiting && queue.size() + held >= BATCH) {
      LockSupport.unpark(thread);
    }
  }

  /** The spans dropped so far because the queue was full. */
  long dropped() {
    return dropped.get();
  }

  /** The spans the exporter accepted so far. */
  long exported() {
    return exported.get();
  }

  /** The spans of batches the exporter failed to send (or did not answer for in time). */
  long failed() {
    return failed.get();
  }

  /** Exports what is queued now; completes when the exporter has answered (tests; a node's stop uses shutdown). */
  CompletableFuture<Void> flush() {
    CompletableFuture<Void> done = flushing.updateAndGet(f -> f != null ? f : new CompletableFuture<>());
    LockSupport.unpark(thread);
    return done;
  }

  /** Exports what is queued, stops the thread and shuts the exporter down. */
  void shutdown() {
    stopping = true;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(EXPORT_TIMEOUT_S + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    exporter.shutdown().join(EXPORT_TIMEOUT_S, TimeUnit.SECONDS);
  }

  private void run() {
    List<SpanData> batch = new ArrayList<>(BATCH);
    long deadline = System.nanoTime() + delayNanos;
    long reported = 0;
    while (true) {
      boolean stop = stopping;
      CompletableFuture<Void> flush = flushing.get();
      // A span's times are nanoTime readings: the offset to the epoch is taken once per pass.
      long epochOffset = Clock.getDefault().now() - System.nanoTime();
      RecordedSpan span;
      while ((span = queue.poll()) != null) {
        batch.add(span.toSpanData(resource, scope, epochOffset));
        if (batch.size() == BATCH) {
          export(batch);
          batch = new ArrayList<>(BATCH);
        }
      }
      boolean due = System.nanoTime() - deadline >= 0;
      if (!batch.isEmpty() && (due || stop || flush != null)) {
        export(batch);
        batch = new ArrayList<>(BATCH);
      }
      if (due) {
        deadline = System.nanoTime() + delayNanos;
      }
      if (flush != null) {
        flushing.compareAndSet(flush, null);
        flush.complete(null);
      }
      if (stop) {
        return;
      }
      long drops = dropped.get();
      if (drops > reported) {
        LOG.warn("tracing: {} spans dropped because the export queue was full ({} so far)", drops - reported, drops);
        reported = drops;
      }
      held = batch.size();
      waiting = true;
      // Checked after waiting is set: a span offered meanwhile either sees waiting, or is seen here.
      if (queue.size() + batch.size() < BATCH && !stopping && flushing.get() == null) {
        LockSupport.parkNanos(this, deadline - System.nanoTime());
      }
      waiting = false;
    }
  }

  private void export(List<SpanData> batch) {
    try {
      if (exporter.export(batch).join(EXPORT_TIMEOUT_S, TimeUnit.SECONDS).isSuccess()) {
        exported.addAndGet(batch.size());
      } else {
        failed.addAndGet(batch.size()); // the exporter logs why
      }
    } catch (RuntimeException e) {
      failed.addAndGet(batch.size());
      LOG.warn("tracing: exporting {} spans failed", batch.size(), e);
    }
  }
}
