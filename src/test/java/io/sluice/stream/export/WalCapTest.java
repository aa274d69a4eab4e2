package io.sluice.stream.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The spool's cap counts what Kafka has not taken: once Kafka has acknowledged a spool that filled up during an
 * outage, new frames are taken again (an outside tester: with spool.max_bytes under one 8 MiB segment, a node
 * dropped every record after Kafka came back, for good).
 */
class WalCapTest {

  private static final long CAP = 65_536; // the smallest spool.max_bytes the settings take

  private static Batch frame(long seq) {
    return new Batch(7, List.of(new Batch.Chunk(null, seq, 1, 0, new byte[3_000])));
  }

  @Test
  void a_spool_full_of_acknowledged_frames_takes_new_ones_for_ever() throws IOException {
    Path dir = Files.createTempDirectory("wal-cap");
    try (Wal wal = new Wal(dir, CAP, 1_000)) {
      int filled = 0;
      while (wal.append(frame(filled), false) != null) {
        filled++;
      }
      assertTrue(filled >= 15, "the cap holds about 20 frames of 3 KB: " + filled);
      assertTrue(wal.bytes() <= CAP);
      wal.ack(wal.end()); // Kafka is back and has every frame
      assertEquals(0, wal.pendingBytes());
      // Steady traffic afterwards, ten caps' worth, each frame acknowledged after it is written.
      for (int i = 0; i < 10 * filled; i++) {
        assertNotNull(wal.append(frame(1_000 + i), false), "frame " + i + " after Kafka took everything");
        wal.ack(wal.end());
        assertTrue(wal.bytes() <= CAP, "within the cap: " + wal.bytes());
      }
    }
  }

  @Test
  void frames_not_acknowledged_are_kept_and_count_against_the_cap() throws IOException {
    Path dir = Files.createTempDirectory("wal-cap");
    List<Long> pending = new ArrayList<>();
    try (Wal wal = new Wal(dir, CAP, 1_000)) {
      long seq = 0;
      Wal.Pos half = null;
      int filled = 0;
      for (Wal.Pos at = wal.append(frame(seq), false); at != null; at = wal.append(frame(++seq), false)) {
        filled++;
        if (filled == 10) {
          half = wal.end();
        }
      }
      assertNotNull(half);
      wal.ack(half); // Kafka took the first ten frames only
      for (long s = 10; s < seq; s++) {
        pending.add(s);
      }
      assertTrue(wal.pendingBytes() > 0);
      // Room is made only by whole segments of acknowledged frames; what is pending stays and is never overwritten.
      for (Wal.Pos at = wal.append(frame(++seq), false); at != null; at = wal.append(frame(++seq), false)) {
        pending.add(seq);
      }
      assertTrue(wal.bytes() <= CAP, "within the cap: " + wal.bytes());
      assertNull(wal.append(frame(++seq), false), "full of frames Kafka has not taken: refused");
    }
    try (Wal reopened = new Wal(dir, CAP, 1_000)) {
      List<Long> read = new ArrayList<>();
      Wal.Pos p = reopened.acked();
      for (Wal.Frame f = reopened.read(p); f != null; f = reopened.read(f.next())) {
        read.add(Batch.fromBytes(f.payload()).chunks().get(0).seq());
      }
      assertEquals(pending, read, "every frame not acknowledged, in order, after a restart");
    }
  }
}
