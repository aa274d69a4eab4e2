package io.sluice.stream.export;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A spool frame's content: the access records of one hand-over, grouped into one chunk per tenant (one
 * Kafka record each: the tenant's id as key, its records as JSON lines as value). Each chunk has a stable
 * identity, the exporter's writer id and a sequence number, carried in the Kafka record's headers, so that
 * a reader can drop a chunk it has already seen (a replay after a crash, a stalled produce that a frozen
 * broker runs after the exporter sent it again).
 */
record Batch(long writer, List<Chunk> chunks) {

  /** Most records in one chunk, so that a record's index inside its Kafka record fits a cursor's 16 bits. */
  static final int MAX_CHUNK_RECORDS = 4096;
  /**
   * A chunk is closed past this many bytes: with one more record (the proxy bounds a record's strings) it
   * stays far below the producer's max.request.size (1 MiB), which refuses a larger Kafka record for good.
   */
  static final int MAX_CHUNK_BYTES = 256 * 1024;

  /** One Kafka record: tenant key (may be null), sequence, count, the oldest record's time, JSON lines. */
  record Chunk(byte[] key, long seq, int records, long firstTs, byte[] value) {}

  /** Groups {@code records} by tenant in their order and encodes them; sequences from {@code firstSeq} on. */
  static Batch encode(long writer, long firstSeq, List<AccessRecord> records) {
    return encode(writer, firstSeq, records, List.of());
  }

  /**
   * The same, each tenant's chunk opening with the loss marker of {@code losses} for it (records dropped
   * before these were taken): a tenant with a loss and no record gets a chunk of the marker alone.
   */
  static Batch encode(long writer, long firstSeq, List<AccessRecord> records, List<Losses.Loss> losses) {
    return encode(writer, firstSeq, records, losses, new JsonOut(64 * 1024));
  }

  /** The same, encoding into {@code out} (the caller's, reused from batch to batch: no buffer per record). */
  static Batch encode(long writer, long firstSeq, List<AccessRecord> records, List<Losses.Loss> losses,
                      JsonOut out) {
    Map<String, List<AccessRecord>> byTenant = new LinkedHashMap<>();
    Map<String, Losses.Loss> lossOf = new LinkedHashMap<>();
    for (Losses.Loss l : losses) {
      lossOf.put(l.key(), l);
      byTenant.put(l.key(), new ArrayList<>());
    }
    for (AccessRecord r : records) {
      byTenant.computeIfAbsent(r.streamKey() == null ? "" : r.streamKey(), k -> new ArrayList<>()).add(r);
    }
    List<Chunk> chunks = new ArrayList<>(byTenant.size());
    long seq = firstSeq;
    for (Map.Entry<String, List<AccessRecord>> e : byTenant.entrySet()) {
      List<AccessRecord> rs = e.getValue();
      byte[] key = e.getKey().isEmpty() ? null : e.getKey().getBytes(StandardCharsets.UTF_8);
      Losses.Loss loss = lossOf.get(e.getKey());
      int from = 0;
      do {
        out.reset();
        int lines = 0;
        long firstTs = from < rs.size() ? rs.get(from).tsMillis() : 0;
        if (loss != null) {
          out.raw(AccessRecord.droppedJson(loss.records(), loss.fromTs(), loss.toTs(), loss.node())).raw('\n');
          lines++;
          firstTs = loss.fromTs();
          loss = null;
        }
        // A chunk is one Kafka record: bounded in records (a cursor's index) and in bytes (the producer's
        // max.request.size, 1 MiB: a larger one would be refused, and would stop the export at that frame).
        while (from < rs.size() && lines < MAX_CHUNK_RECORDS && out.size() < MAX_CHUNK_BYTES) {
          rs.get(from++).writeJson(out);
          out.raw('\n');
          lines++;
        }
        chunks.add(new Chunk(key, seq++, lines, firstTs, out.copy(0)));
      } while (from < rs.size());
    }
    return new Batch(writer, chunks);
  }

  int records() {
    int n = 0;
    for (Chunk c : chunks) {
      n += c.records();
    }
    return n;
  }

  byte[] toBytes() {
    ByteBuffer b = ByteBuffer.allocate(size());
    writeTo(b);
    return b.array();
  }

  /** The size of {@link #toBytes}. */
  int size() {
    int size = 12;
    for (Chunk c : chunks) {
      size += 8 + 2 + (c.key() == null ? 0 : c.key().length) + 4 + 8 + 4 + c.value().length;
    }
    return size;
  }

  /** {@link #toBytes} into {@code b} (which has room for {@link #size} bytes). */
  void writeTo(ByteBuffer b) {
    b.putLong(writer).putInt(chunks.size());
    for (Chunk c : chunks) {
      b.putLong(c.seq());
      b.putShort((short) (c.key() == null ? -1 : c.key().length));
      if (c.key() != null) {
        b.put(c.key());
      }
      b.putInt(c.records()).putLong(c.firstTs()).putInt(c.value().length).put(c.value());
    }
  }

  static Batch fromBytes(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    long writer = b.getLong();
    int n = b.getInt();
    List<Chunk> chunks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long seq = b.getLong();
      short keyLen = b.getShort();
      byte[] key = null;
      if (keyLen >= 0) {
        key = new byte[keyLen];
        b.get(key);
      }
      int records = b.getInt();
      long firstTs = b.getLong();
      byte[] value = new byte[b.getInt()];
      b.get(value);
      chunks.add(new Chunk(key, seq, records, firstTs, value));
    }
    return new Batch(writer, chunks);
  }

  /** The last sequence number used by this batch (its first minus one when empty). */
  long lastSeq(long firstSeq) {
    return chunks.isEmpty() ? firstSeq - 1 : chunks.get(chunks.size() - 1).seq();
  }
}
