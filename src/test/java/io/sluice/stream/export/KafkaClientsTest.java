package io.sluice.stream.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The producer's settings as the exporter configures them from kafka.*. */
class KafkaClientsTest {

  @Test
  void kafka_settings_reach_the_producer_and_delivery_stays_idempotent() {
    Properties p = KafkaClients.producerConfig("k1:9092,k2:9092", 15_000, 25, "lz4");
    assertEquals("k1:9092,k2:9092", p.get("bootstrap.servers"));
    assertEquals(25, p.get("linger.ms"));
    assertEquals("lz4", p.get("compression.type"));
    assertEquals(15_000, p.get("delivery.timeout.ms"));
    assertEquals(14_000, p.get("request.timeout.ms"));
    // What the stream's order and exactly-once rest on (docs/stream.md): every replica, no duplicate, one in flight.
    assertEquals("all", p.get("acks"));
    assertEquals(true, p.get("enable.idempotence"));
    assertEquals(1, p.get("max.in.flight.requests.per.connection"));
  }
}
