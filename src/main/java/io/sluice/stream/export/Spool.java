package io.sluice.stream.export;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A bounded on-disk queue of encoded access records, kept while Kafka is unreachable: numbered segment
 * files, appended in order, read and deleted oldest first. The directory is locked so that two nodes never
 * share it; a node restarted with segments left replays them. A record cut short by a crash mid-write is
 * the end of its segment. Used by the exporter's thread only (no locking inside).
 */
final class Spool implements AutoCloseable {

  /** A segment this large is closed and a new one started, so replay deletes progress in steps. */
  static final long SEGMENT_BYTES = 4L * 1024 * 1024;
  private static final String SUFFIX = ".spool";

  /** One spooled record: the Kafka key (tenant, may be null) and value (the JSON record). */
  record Entry(byte[] key, byte[] value) {
    long size() {
      return 8L + (key == null ? 0 : key.length) + value.length;
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final FileChannel lockChannel;
  private final FileLock lock;
  /** Segment number to its size in bytes. */
  private final TreeMap<Long, Long> segments = new TreeMap<>();
  private long total;
  private long writing = -1;
  private DataOutputStream out;

  Spool(Path dir, long maxBytes) {
    this.dir = dir;
    this.maxBytes = maxBytes;
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
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String name = f.getFileName().toString();
          if (name.endsWith(SUFFIX)) {
            long n = Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
            long size = Files.size(f);
            segments.put(n, size);
            total += size;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("spool.dir " + dir + ": " + e.getMessage(), e);
    }
  }

  boolean isEmpty() {
    return segments.isEmpty();
  }

  long bytes() {
    return total;
  }

  /** Appends a record; false (nothing written) when it would take the spool past its cap. */
  boolean append(Entry e) throws IOException {
    if (total + e.size() > maxBytes) {
      return false;
    }
    if (out == null || segments.get(writing) >= SEGMENT_BYTES) {
      roll();
      writing = segments.isEmpty() ? 1 : segments.lastKey() + 1;
      out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file(writing),
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 64 * 1024));
      segments.put(writing, 0L);
    }
    out.writeInt(e.key() == null ? -1 : e.key().length);
    if (e.key() != null) {
      out.write(e.key());
    }
    out.writeInt(e.value().length);
    out.write(e.value());
    segments.merge(writing, e.size(), Long::sum);
    total += e.size();
    return true;
  }

  /** Pushes buffered appends to the file (the exporter calls it when it goes idle). */
  void flush() throws IOException {
    if (out != null) {
      out.flush();
    }
  }

  /** The oldest segment's number, closing it for writing first if it is the one being written. */
  long oldest() throws IOException {
    long n = segments.firstKey();
    if (n == writing) {
      roll();
    }
    return n;
  }

  /** The records of a segment, in the order they were written. */
  List<Entry> read(long segment) throws IOException {
    List<Entry> entries = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file(segment));
         DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in, 64 * 1024))) {
      while (true) {
        int keyLen = data.readInt();
        byte[] key = keyLen < 0 ? null : data.readNBytes(keyLen);
        int valueLen = data.readInt();
        byte[] value = data.readNBytes(valueLen);
        if ((key != null && key.length != keyLen) || value.length != valueLen) {
          break; // cut short by a crash mid-write
        }
        entries.add(new Entry(key, value));
      }
    } catch (EOFException end) {
      // the end of the segment (or a record cut short by a crash)
    }
    return entries;
  }

  /** Deletes a segment once its records are in Kafka. */
  void delete(long segment) throws IOException {
    Files.deleteIfExists(file(segment));
    Long size = segments.remove(segment);
    total -= size == null ? 0 : size;
  }

  private void roll() throws IOException {
    if (out != null) {
      out.close();
      out = null;
      writing = -1;
    }
  }

  private Path file(long n) {
    return dir.resolve(String.format("%020d%s", n, SUFFIX));
  }

  @Override
  public void close() throws IOException {
    roll();
    lock.release();
    lockChannel.close();
  }
}
