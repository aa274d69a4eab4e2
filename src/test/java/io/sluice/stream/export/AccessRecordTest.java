package io.sluice.stream.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written record encoder against a real JSON parser: every field back, whatever the strings hold. */
class AccessRecordTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static AccessRecord record(String text, long ts, double latency) {
    return new AccessRecord("id-" + text, ts, "tenant " + text, "node", "route", "svc", null, "GET",
        "/p/" + text, 503, latency, 0.0004, 12, 0, "10.0.0.1", text, text.isEmpty() ? null : "127.0.0.1:80", null);
  }

  private static void roundTrips(AccessRecord r) throws Exception {
    JsonNode n = JSON.readTree(r.toJson());
    assertEquals(17, n.size(), n.toString());
    assertEquals(r.id(), n.get("id").asText());
    assertEquals(Instant.ofEpochMilli(r.tsMillis()), Instant.parse(n.get("ts").asText()));
    assertEquals(24, n.get("ts").asText().length(), "always yyyy-MM-ddTHH:mm:ss.SSSZ: " + n.get("ts"));
    assertEquals(r.tenant(), n.get("tenant").asText());
    assertEquals(r.path(), n.get("path").asText());
    assertEquals(r.requestId(), n.get("request_id").asText());
    assertEquals(true, n.get("consumer").isNull());
    assertEquals(r.upstream() == null, n.get("upstream").isNull());
    assertEquals(r.status(), n.get("status").asInt());
    assertEquals(Math.round(r.latencyMs() * 1000) / 1000.0, n.get("latency_ms").asDouble());
    assertEquals(0.0, n.get("upstream_ms").asDouble());
    assertEquals(12, n.get("request_bytes").asLong());
  }

  @Test
  void a_trace_id_is_written_only_while_tracing_is_on() throws Exception {
    AccessRecord off = record("x", 0, 1);
    AccessRecord on = new AccessRecord("id", 0, null, "node", "route", "svc", null, "GET", "/", 200, 1, 1, 0, 0,
        null, "rid", null, null, null, null, null, "4bf92f3577b34da6a3ce929d0e0e4736");
    assertEquals(false, JSON.readTree(off.toJson()).has("trace_id"));
    JsonNode n = JSON.readTree(on.toJson());
    assertEquals(18, n.size(), n.toString());
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", n.get("trace_id").asText());
  }

  @Test
  void quotes_backslashes_control_characters_and_every_plane_survive() throws Exception {
    roundTrips(record("", 0, 1));
    roundTrips(record("a\"b\\c\n\t\u0000\u001f/é€😀", 1_763_800_000_123L, 12.34567));
    roundTrips(record("x", 1_763_800_000_000L, 0.0001));  // .000 ms still printed
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder s = new StringBuilder();
      for (int k = random.nextInt(20); k > 0; k--) {
        int cp = random.nextInt(4) == 0 ? random.nextInt(0x20) : random.nextInt(0x10FFFF);
        if (Character.isValidCodePoint(cp) && !(cp >= 0xD800 && cp <= 0xDFFF)) {
          s.appendCodePoint(cp);
        }
      }
      roundTrips(record(s.toString(), Math.abs(random.nextLong() % 4_102_444_800_000L), random.nextDouble() * 1000));
    }
  }

  @Test
  void a_lone_surrogate_becomes_the_replacement_character() throws Exception {
    JsonNode n = JSON.readTree(record("a\ud800b", 5, 1).toJson());
    assertEquals("a\ufffdb", n.get("request_id").asText());
  }
}
