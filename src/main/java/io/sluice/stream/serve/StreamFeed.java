package io.sluice.stream.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import io.sluice.metrics.Meters;

/**
 * What the node's subscribers read from: the shared live rings (one {@link TailReader}), the shared
 * {@link Backfill} for older records, cursor signing, and the stream's meters.
 */
public final class StreamFeed implements AutoCloseable {

  private final TailReader tail;
  private final Backfill backfill;
  private final Cursors cursors;
  final AtomicInteger subscribers = new AtomicInteger();
  final Counter delivered;

  public StreamFeed(String bootstrap, String topic, int ringCapacity, Cursors cursors, MeterRegistry registry) {
    this.tail = new TailReader(bootstrap, topic, ringCapacity);
    this.backfill = new Backfill(bootstrap, topic);
    this.cursors = cursors;
    Gauge.builder(Meters.STREAM_SUBSCRIBERS, subscribers, AtomicInteger::get)
        .description("WebSocket subscribers connected to this node").register(registry);
    delivered = Counter.builder(Meters.STREAM_DELIVERED)
        .description("Records sent to subscribers (one per subscriber that received it)").register(registry);
  }

  Cursors cursors() {
    return cursors;
  }

  /** The ring of a partition, or null until the reader is ready. */
  Ring ring(int partition) {
    Ring[] rings = tail.rings();
    return rings == null || partition >= rings.length ? null : rings[partition];
  }

  /** The partition of a tenant, or -1 until the topic's partition count is known. */
  int partitionOf(String tenant) {
    Ring[] rings = tail.rings();
    return rings == null ? -1 : TailReader.partitionOf(tenant, rings.length);
  }

  void watch(int partition) {
    tail.watch(partition);
  }

  void unwatch(int partition) {
    tail.unwatch(partition);
  }

  void whenReady(Runnable r) {
    tail.whenReady(r);
  }

  CompletableFuture<Backfill.Chunk> backfill(int partition, long from, long until, Dedup dedup) {
    return backfill.fetch(partition, from, until, dedup);
  }

  CompletableFuture<Long> endOffset(int partition) {
    return backfill.endOffset(partition);
  }

  @Override
  public void close() {
    tail.close();
    backfill.close();
  }
}
