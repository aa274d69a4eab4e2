package io.sluice.sync;

import io.sluice.config.EntityKey;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last configuration a node applied, kept in a file of its own so that the node can start and serve while
 * PostgreSQL (and the rest of the cluster) is unreachable. Versioned and checksummed (SHA-256 over the version
 * and the entities), written atomically (a temporary file forced to disk, then renamed over the old one): a
 * crash mid-write leaves the previous snapshot, and a file that does not verify is never served. It names the
 * database it is the state of ({@link DatabaseIdentity}): a node serves only a snapshot of its own database.
 */
public final class LocalSnapshot {

  /** The file's format; a node refuses (ignores) a snapshot of another format. 2: names its database. */
  static final int FORMAT = 2;
  /** The format before the database was named: refused, since nothing says whose configuration it holds. */
  static final int FORMAT_WITHOUT_DATABASE = 1;

  /** A verified snapshot: its database, the version it is the state of, every service, route and plugin by key. */
  public record State(DatabaseIdentity database, long version, long writtenAtMillis,
                      Map<EntityKey, JsonObject> entities) {}

  /** Why a snapshot file cannot be used (absent, unreadable, corrupt, another format). */
  public static final class Unusable extends Exception {
    Unusable(String message) {
      super(message, null, false, false);
    }
  }

  private final Path file;
  /** The database this node follows; its identifiers are added once the database answered. */
  private volatile DatabaseIdentity database;

  public LocalSnapshot(Path file, DatabaseIdentity database) {
    this.file = file;
    this.database = database;
  }

  /** What the database said of itself once it answered: recorded with every later write. */
  public void learned(DatabaseIdentity identified) {
    this.database = identified;
  }

  public DatabaseIdentity database() {
    return database;
  }

  public Path file() {
    return file;
  }

  /** Writes {@code entities} as the state of {@code version}, atomically. Blocking: call it off the event loop. */
  public void write(long version, Map<EntityKey, JsonObject> entities) throws IOException {
    JsonObject content = content(version, database, entities);
    JsonObject doc = new JsonObject().put("format", FORMAT).put("version", version)
        .put("written_at", System.currentTimeMillis()).put("sha256", sha256(content.encode()))
        .put("content", content);
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
    byte[] bytes = doc.encode().getBytes(StandardCharsets.UTF_8);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);  // gone already after the move; left over only by a failed write
    }
  }

  /** The verified snapshot; {@link Unusable} says why there is none to serve. Blocking. */
  public State read() throws Unusable {
    if (!Files.exists(file)) {
      throw new Unusable("no snapshot at " + file);
    }
    JsonObject doc;
    try {
      doc = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException | DecodeException e) {
      throw new Unusable("snapshot " + file + " is unreadable: " + e.getMessage());
    } catch (RuntimeException e) {
      throw new Unusable("snapshot " + file + " is unreadable: " + e);
    }
    if (doc.getInteger("format", -1) == FORMAT_WITHOUT_DATABASE) {
      throw new Unusable("snapshot " + file + " was written by an earlier Sluice and does not name the database it"
          + " came from: it is not served (a snapshot of this node's database " + database + " is written once the"
          + " node has reached it)");
    }
    if (doc.getInteger("format", -1) != FORMAT) {
      throw new Unusable("snapshot " + file + " has format " + doc.getValue("format") + ", not " + FORMAT);
    }
    JsonObject content = doc.getJsonObject("content");
    if (content == null || !sha256(content.encode()).equals(doc.getString("sha256"))) {
      throw new Unusable("snapshot " + file + " does not match its checksum: it is corrupt and is not served");
    }
    DatabaseIdentity of = DatabaseIdentity.fromJson(content.getJsonObject("database"));
    if (of == null) {
      throw new Unusable("snapshot " + file + " does not name the database it came from: it is not served");
    }
    if (!of.sameDatabase(database)) {
      throw new Unusable("snapshot " + file + " is the configuration of database " + of + ", not of this node's "
          + database + ": it is not served");
    }
    long version = content.getLong("version", -1L);
    if (version < 0 || version != doc.getLong("version", -2L)) {
      throw new Unusable("snapshot " + file + " names no consistent version");
    }
    Map<EntityKey, JsonObject> entities = new HashMap<>();
    JsonObject held = content.getJsonObject("entities", new JsonObject());
    try {
      for (String k : held.fieldNames()) {
        entities.put(EntityKey.decode(k), held.getJsonObject(k));
      }
    } catch (RuntimeException e) {
      throw new Unusable("snapshot " + file + " holds an entity it cannot name: " + e.getMessage());
    }
    return new State(of, version, doc.getLong("written_at", 0L), entities);
  }

  /** What the checksum covers: version, database, entities in key order (the same bytes for the same state). */
  private static JsonObject content(long version, DatabaseIdentity database, Map<EntityKey, JsonObject> entities) {
    TreeMap<String, JsonObject> sorted = new TreeMap<>();
    entities.forEach((k, v) -> sorted.put(k.encode(), v));
    JsonObject held = new JsonObject();
    sorted.forEach(held::put);
    return new JsonObject().put("version", version).put("database", database.toJson()).put("entities", held);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
