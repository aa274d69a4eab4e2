package io.sluice.stream.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A frame's chunks: one tenant's records of a large hand-over (an exporter that fell behind) are cut into
 * Kafka records the producer takes (a record past max.request.size, 1 MiB, would be refused for good), in
 * order, with the loss marker first.
 */
class BatchTest {

  private static AccessRecord record(int i, String tenant) {
    return new AccessRecord("id-" + i, 1_700_000_000_000L + i, tenant, "node", "route", "svc", null, "GET",
        "/p/" + "x".repeat(300) + "/" + i, 200, 1.5, 1.0, 0, 5, "10.0.0.1", "r" + i, "127.0.0.1:80", null);
  }

  @Test
  void a_tenants_records_are_cut_into_chunks_under_the_producers_limit_in_order() {
    List<AccessRecord> records = new ArrayList<>();
    for (int i = 0; i < 8192; i++) {
      records.add(record(i, i % 10 == 0 ? "other" : "big"));
    }
    Batch b = Batch.fromBytes(Batch.encode(7, 1, records,
        List.of(new Losses.Loss("big", 3, 1L, 2L, "node"))).toBytes());
    int seen = 0;
    long seq = 1;
    int next = 0;
    for (Batch.Chunk c : b.chunks()) {
      assertEquals(seq++, c.seq(), "sequences follow each other");
      assertTrue(c.value().length < 1024 * 1024 - 4096, "under max.request.size: " + c.value().length);
      String[] lines = new String(c.value(), java.nio.charset.StandardCharsets.UTF_8).split("\n");
      assertEquals(c.records(), lines.length);
      for (String line : lines) {
        if (line.startsWith("{\"dropped\":3,")) {
          assertEquals(0, seen, "the loss marker opens the tenant's first chunk");
          continue;
        }
        seen++;
        if (new String(c.key()).equals("big")) {
          while (next % 10 == 0) {
            next++;
          }
          assertTrue(line.contains("\"request_id\":\"r" + next + "\""), "in order: " + next);
          next++;
        }
      }
    }
    assertEquals(8192, seen);
    assertTrue(b.chunks().size() > 4, "the big tenant's 7,372 records (3 MB) take several chunks");
  }
}
