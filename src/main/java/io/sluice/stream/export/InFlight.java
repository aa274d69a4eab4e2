package io.sluice.stream.export;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

/** One frame sent: settles when Kafka has answered for each of its chunks (callback on the producer's thread). */
final class InFlight implements Callback {
  final Wal.Pos end;
  final int size;
  final int records;
  final int chunks;
  final long oldestTs;
  final AtomicInteger pending;
  volatile Exception error;

  InFlight(Wal.Pos end, int size, Batch b) {
    this.end = end;
    this.size = size;
    this.records = b.records();
    this.chunks = b.chunks().size();
    this.oldestTs = b.chunks().isEmpty() ? System.currentTimeMillis() : b.chunks().get(0).firstTs();
    this.pending = new AtomicInteger(b.chunks().size());
  }

  @Override
  public void onCompletion(RecordMetadata metadata, Exception exception) {
    if (exception != null) {
      error = exception;
    }
    pending.decrementAndGet();
  }
}
