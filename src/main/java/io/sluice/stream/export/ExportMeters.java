package io.sluice.stream.export;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import io.sluice.metrics.Meters;

/** The exporter's meters (sluice_stream_*; drops are counted by {@link Losses}). */
final class ExportMeters {

  final Counter exported;
  final Counter spooled;
  final Counter resent;
  final Counter kafkaRecords;
  final Timer lag;

  ExportMeters(MeterRegistry registry, AccessExporter exporter) {
    exported = Counter.builder(Meters.STREAM_EXPORTED).description("Access records acknowledged by Kafka")
        .register(registry);
    spooled = Counter.builder(Meters.STREAM_SPOOLED)
        .description("Access records that waited in the spool for Kafka (an outage, or a restart), counted once each"
            + " when Kafka acknowledges them").register(registry);
    resent = Counter.builder(Meters.STREAM_CHUNKS_RESENT)
        .description("Kafka records sent again after a failure or replayed from an older process's spool"
            + " (marked; readers drop the copies Kafka already had)")
        .register(registry);
    kafkaRecords = Counter.builder(Meters.STREAM_KAFKA_RECORDS)
        .description("Kafka records acknowledged (each one tenant's records of one batch, as JSON lines)")
        .register(registry);
    lag = Timer.builder(Meters.STREAM_EXPORT_LAG)
        .description("From a request's completion to its record's acknowledgement by Kafka")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    Gauge.builder(Meters.STREAM_SPOOL_BYTES, exporter, AccessExporter::spoolBytes)
        .description("Bytes held in the write-ahead spool (acknowledged frames too, until their segment is freed)")
        .baseUnit("bytes").register(registry);
    Gauge.builder(Meters.STREAM_SPOOL_PENDING_BYTES, exporter, AccessExporter::pendingBytes)
        .description("Bytes in the spool that Kafka has not acknowledged yet").baseUnit("bytes").register(registry);
    Gauge.builder(Meters.STREAM_EXPORT_STALLED, exporter, e -> e.spooling() ? 1 : 0)
        .description("1 while access records have stopped leaving for Kafka (refused, timed out, or nothing"
            + " acknowledged for a second with records pending); the kafka check of /health/ready says the same")
        .register(registry);
  }
}
