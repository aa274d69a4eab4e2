package io.sluice.stream.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exporter's write-ahead spool: every batch of access records is appended here (one write per batch,
 * a CRC-32C per frame) before it is sent to Kafka, and stays until Kafka has acknowledged it and every
 * batch before it. A write reaches the page cache at once, so kill -9 of the node loses nothing written;
 * {@code spool.sync_ms} bounds what a machine crash can lose (fsync at most that often; 0: after every
 * batch). On start the frames after the acknowledged position are checked and a torn last frame is cut
 * off. Numbered segment files; the directory is locked so that two nodes never share it. Used by the
 * exporter's thread only (no locking inside).
 *
 * <p>Frame: magic (4 bytes), payload length (4), CRC-32C of the payload (4), payload.
 */
final class Wal implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Wal.class);
  /** A segment this large is closed and a new one started, so acknowledged space is freed in steps. */
  static final long SEGMENT_BYTES = 8L * 1024 * 1024;
  static final int MAGIC = 0x534c5731; // "SLW1"
  static final int HEADER = 12;
  /** Larger than any frame the exporter writes (its batches are capped): a larger length is corruption. */
  static final int MAX_FRAME = 64 * 1024 * 1024;
  private static final String SUFFIX = ".wal";

  /** A position: a segment and a byte offset in it. */
  record Pos(long segment, long offset) implements Comparable<Pos> {
    @Override
    public int compareTo(Pos o) {
      int c = Long.compare(segment, o.segment);
      return c != 0 ? c : Long.compare(offset, o.offset);
    }
  }

  /** A frame read back: its payload and where the next frame starts. */
  record Frame(byte[] payload, Pos next) {}

  private final Path dir;
  private final long maxBytes;
  /**
   * {@link #SEGMENT_BYTES}, or a quarter of a smaller cap: acknowledged frames are freed a segment at a time, so a
   * segment as large as the cap would keep the spool full of frames Kafka already has.
   */
  private final long segmentBytes;
  private final long syncMs;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final FileChannel ackedFile;
  /** Segment number to its size in bytes. */
  private final TreeMap<Long, Long> segments = new TreeMap<>();
  private long total;
  private FileChannel out;
  private long writing = -1;
  private Pos acked;
  private boolean dirty;
  private long lastSync;
  private FileChannel reading;
  private long readingSegment = -1;
  private final CRC32C crc = new CRC32C();
  /** Where each frame is assembled before its one write (grown to the largest frame seen). */
  private ByteBuffer frame = ByteBuffer.allocateDirect(256 * 1024);

  Wal(Path dir, long maxBytes, long syncMs) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = Math.min(SEGMENT_BYTES, Math.max(4096, maxBytes / 4));
    this.syncMs = syncMs;
    try {
      Files.createDirectories(dir);
      lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        lockChannel.close();
        throw new IllegalStateException("spool.dir " + dir + " is in use by another node (each node needs its own)");
      }
      lock = l;
      ackedFile = FileChannel.open(dir.resolve("acked"), StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      recover();
    } catch (IOException e) {
      throw new UncheckedIOException("spool.dir " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Reads the acknowledged position, drops what it covers, and cuts each segment at its first bad frame. */
  private void recover() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (name.endsWith(SUFFIX)) {
          segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), Files.size(f));
        } else if (name.endsWith(".spool")) {
          LOG.warn("spool.dir {} holds {} from an older Sluice (format not read): left in place", dir, name);
        }
      }
    }
    ByteBuffer a = ByteBuffer.allocate(16);
    acked = ackedFile.read(a, 0) == 16 ? new Pos(a.getLong(0), a.getLong(8)) : null;
    if (acked == null || segments.isEmpty() || acked.segment() < segments.firstKey()) {
      acked = new Pos(segments.isEmpty() ? 1 : segments.firstKey(), 0);
    }
    for (Long n : segments.headMap(acked.segment()).keySet().toArray(new Long[0])) {
      Files.deleteIfExists(file(n));
      segments.remove(n);
    }
    for (Map.Entry<Long, Long> e : segments.entrySet()) {
      long start = e.getKey() == acked.segment() ? acked.offset() : 0;
      long valid = scan(e.getKey(), start, e.getValue());
      if (valid < e.getValue()) {
        LOG.warn("spool segment {} ends with {} bytes of a torn or corrupt frame (a crash mid-write): cut off",
            e.getKey(), e.getValue() - valid);
        try (FileChannel c = FileChannel.open(file(e.getKey()), StandardOpenOption.WRITE)) {
          c.truncate(valid);
        }
        e.setValue(valid);
      }
    }
    total = segments.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The end of the last whole, checksummed frame from {@code start}. */
  private long scan(long segment, long start, long size) throws IOException {
    long pos = start;
    try (FileChannel c = FileChannel.open(file(segment), StandardOpenOption.READ)) {
      while (pos + HEADER <= size) {
        byte[] payload = readAt(c, pos, size);
        if (payload == null) {
          break;
        }
        pos += HEADER + payload.length;
      }
    }
    return pos;
  }

  /** The payload of the frame at {@code pos}, or null if it is not whole or does not verify. */
  private byte[] readAt(FileChannel c, long pos, long size) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(HEADER);
    if (readFully(c, h, pos) < HEADER || h.getInt(0) != MAGIC) {
      return null;
    }
    int len = h.getInt(4);
    if (len < 0 || len > MAX_FRAME || pos + HEADER + len > size) {
      return null;
    }
    ByteBuffer p = ByteBuffer.allocate(len);
    if (readFully(c, p, pos + HEADER) < len) {
      return null;
    }
    crc.reset();
    crc.update(p.array(), 0, len);
    return (int) crc.getValue() == h.getInt(8) ? p.array() : null;
  }

  private static int readFully(FileChannel c, ByteBuffer b, long pos) throws IOException {
    int n = 0;
    while (b.hasRemaining()) {
      int r = c.read(b, pos + n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }

  /** Where the next frame will be written (the end of what is written). */
  Pos end() {
    if (segments.isEmpty()) {
      return acked;
    }
    long last = segments.lastKey();
    return new Pos(last, segments.get(last));
  }

  Pos acked() {
    return acked;
  }

  /** The spool's directory. */
  Path dir() {
    return dir;
  }

  long bytes() {
    return total;
  }

  /** Bytes of frames written and not yet acknowledged by Kafka (what {@link #bytes} holds beyond them is sent). */
  long pendingBytes() {
    long n = 0;
    for (Map.Entry<Long, Long> e : segments.tailMap(acked.segment(), true).entrySet()) {
      n += e.getValue() - (e.getKey() == acked.segment() ? acked.offset() : 0);
    }
    return n;
  }

  /**
   * Appends one frame; its start, or null (nothing written) when it would take the spool past its cap
   * (unless {@code overCap}: the few hundred bytes of loss markers written at close).
   */
  Pos append(Batch batch, boolean overCap) throws IOException {
    // Header and payload are assembled in one direct buffer kept from frame to frame (no array per frame, no
    // copy into the JDK's temporary direct buffer) and written with one call.
    int length = batch.size();
    long size = HEADER + (long) length;
    if (!overCap && total + size > maxBytes) {
      freeAcknowledged();
      if (total + size > maxBytes) {
        return null;
      }
    }
    if (out == null || segments.get(writing) >= segmentBytes) {
      roll();
    }
    Pos at = new Pos(writing, segments.get(writing));
    if (frame.capacity() < size) {
      frame = ByteBuffer.allocateDirect((int) Math.max(size, frame.capacity() * 2L));
    }
    ByteBuffer b = frame.clear();
    b.position(HEADER);
    batch.writeTo(b);
    b.flip().position(HEADER);
    crc.reset();
    crc.update(b);
    b.putInt(0, MAGIC).putInt(4, length).putInt(8, (int) crc.getValue()).position(0);
    long p = at.offset();
    while (b.hasRemaining()) {
      p += out.write(b, p);
    }
    segments.put(writing, at.offset() + size);
    total += size;
    dirty = true;
    if (syncMs == 0) {
      sync();
    }
    return at;
  }

  /** Forces written frames to the disk when spool.sync_ms has passed since the last time (exporter's loop). */
  void maybeSync(long now) throws IOException {
    if (dirty && now - lastSync >= syncMs) {
      sync();
    }
  }

  private void sync() throws IOException {
    if (out != null) {
      out.force(false);
    }
    dirty = false;
    lastSync = System.currentTimeMillis();
  }

  /**
   * Kafka has every frame written: a fresh segment and the acknowledged position at its start, which deletes the
   * others at once. Without it the acknowledged frames of the segment being written would count against the cap
   * until the segment filled, which a spool full of them never does: every later record would be dropped.
   */
  private void freeAcknowledged() throws IOException {
    if (segments.isEmpty() || acked.compareTo(end()) < 0) {
      return;
    }
    roll();
    ack(new Pos(writing, 0));
  }

  private void roll() throws IOException {
    if (out != null) {
      sync();
      out.close();
    }
    writing = segments.isEmpty() ? Math.max(1, acked.segment()) : segments.lastKey() + 1;
    out = FileChannel.open(file(writing), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    segments.put(writing, 0L);
  }

  /** The frame at {@code pos} (skipping to the next segment at a segment's end), or null past the end. */
  Frame read(Pos pos) throws IOException {
    Pos p = pos;
    while (true) {
      Long size = segments.get(p.segment());
      if (size == null) {
        Long next = segments.higherKey(p.segment());
        if (next == null) {
          return null;
        }
        p = new Pos(next, 0);
        continue;
      }
      if (p.offset() >= size) {
        Long next = segments.higherKey(p.segment());
        if (next == null) {
          return null;
        }
        p = new Pos(next, 0);
        continue;
      }
      if (readingSegment != p.segment()) {
        if (reading != null) {
          reading.close();
        }
        reading = FileChannel.open(file(p.segment()), StandardOpenOption.READ);
        readingSegment = p.segment();
      }
      byte[] payload = readAt(reading, p.offset(), size);
      if (payload == null) {
        throw new IOException("spool segment " + p.segment() + " has a bad frame at " + p.offset());
      }
      return new Frame(payload, new Pos(p.segment(), p.offset() + HEADER + payload.length));
    }
  }

  /**
   * Everything before {@code upTo} is in Kafka: records the position (a plain write, which survives kill -9;
   * a machine crash that loses it only replays more, and readers drop what they already saw) and deletes
   * the segments wholly before it.
   */
  void ack(Pos upTo) throws IOException {
    if (upTo.compareTo(acked) <= 0) {
      return;
    }
    acked = upTo;
    ackedFile.write(ByteBuffer.allocate(16).putLong(upTo.segment()).putLong(upTo.offset()).flip(), 0);
    for (Long n : segments.headMap(upTo.segment()).keySet().toArray(new Long[0])) {
      if (n == readingSegment) {
        reading.close();
        reading = null;
        readingSegment = -1;
      }
      Files.deleteIfExists(file(n));
      total -= segments.remove(n);
    }
  }

  private Path file(long n) {
    return dir.resolve(String.format("%020d%s", n, SUFFIX));
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      sync();
      out.close();
      out = null;
    }
    if (reading != null) {
      reading.close();
    }
    ackedFile.close();
    lock.release();
    lockChannel.close();
  }
}
