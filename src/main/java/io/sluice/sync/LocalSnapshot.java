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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last configuration a node applied, kept in a file of its own so that the node can start and serve while
 * PostgreSQL (and the rest of the cluster) is unreachable. Versioned and checksummed (SHA-256 over the version
 * and the entities), written atomically (a temporary file forced to disk, then renamed over the old one): a
 * crash mid-write leaves the previous snapshot, and a file that does not verify is never served. It names the
 * database it is the state of ({@link DatabaseIdentity}): a node serves only a snapshot of its own database.
 *
 * <p>Its file is named by the node and the address pg.url names ({@link #file}), so that nodes sharing a directory
 * and a name but following different databases never overwrite each other's. The name cannot hold the database's own
 * identifiers: a snapshot is read when the database is down, when they are not known. So a read also weighs the
 * node's files of other addresses ({@code localhost} where {@code 127.0.0.1} was written): the newest one that is of
 * this database ({@link DatabaseIdentity#sameDatabase}) is served.
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

  private static final Logger LOG = LoggerFactory.getLogger(LocalSnapshot.class);
  /** A snapshot file's name: a stem (config-NODE), then eight hex digits of its database's address. */
  private static final Pattern NAME = Pattern.compile("(.+)-[0-9a-f]{8}\\.json");

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

  /** {@code dir}/{@code stem}-{hash of {@code database}'s address}.json: where that database's snapshot is kept. */
  public static Path file(Path dir, String stem, DatabaseIdentity database) {
    return dir.resolve(stem + "-" + database.shortHash() + ".json");
  }

  /**
   * The verified snapshot of this database: of this file, or of the same stem's files of other addresses when one of
   * those is of this database and was written later. {@link Unusable} says why there is none to serve (this file's
   * reason first, then the others'). Blocking (it may resolve host names).
   */
  public State read() throws Unusable {
    State newest = null;
    Path from = file;
    List<String> reasons = new ArrayList<>();
    String own = null;
    try {
      newest = read(file);
    } catch (Unusable u) {
      own = u.getMessage();
      reasons.add(own);
    }
    for (Path other : otherAddresses()) {
      try {
        State s = read(other);
        if (newest == null || s.writtenAtMillis() > newest.writtenAtMillis()) {
          newest = s;
          from = other;
        }
      } catch (Unusable u) {
        reasons.add(u.getMessage());
      }
    }
    if (newest == null) {
      throw new Unusable(String.join("; ", reasons));
    }
    if (!from.equals(file)) {
      LOG.warn("serving snapshot {}, written for {}, the same database as this node's {} at another address ({});"
          + " kept from now on in {}", from, newest.database().address(), database.address(),
          own == null ? file + " is older" : own, file);
    }
    return newest;
  }

  /** This snapshot's siblings: the files of the same stem for other addresses (none when the name has no stem). */
  private List<Path> otherAddresses() {
    Path dir = file.toAbsolutePath().getParent();
    Matcher own = NAME.matcher(file.getFileName().toString());
    if (!own.matches() || !Files.isDirectory(dir)) {
      return List.of();
    }
    String stem = own.group(1);
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() && m.group(1).equals(stem) && !p.getFileName().equals(file.getFileName());
      }).sorted().toList();
    } catch (IOException e) {
      return List.of();  // this file alone, as before snapshots were looked for at other addresses
    }
  }

  /** The verified snapshot in {@code at}, if it is of this node's database. */
  private State read(Path at) throws Unusable {
    if (!Files.exists(at)) {
      throw new Unusable("no snapshot at " + at);
    }
    JsonObject doc;
    try {
      doc = new JsonObject(Files.readString(at, StandardCharsets.UTF_8));
    } catch (IOException | DecodeException e) {
      throw new Unusable("snapshot " + at + " is unreadable: " + e.getMessage());
    } catch (RuntimeException e) {
      throw new Unusable("snapshot " + at + " is unreadable: " + e);
    }
    if (doc.getInteger("format", -1) == FORMAT_WITHOUT_DATABASE) {
      throw new Unusable("snapshot " + at + " was written by an earlier Sluice and does not name the database it"
          + " came from: it is not served (a snapshot of this node's database " + database + " is written once the"
          + " node has reached it)");
    }
    if (doc.getInteger("format", -1) != FORMAT) {
      throw new Unusable("snapshot " + at + " has format " + doc.getValue("format") + ", not " + FORMAT);
    }
    JsonObject content = doc.getJsonObject("content");
    if (content == null || !sha256(content.encode()).equals(doc.getString("sha256"))) {
      throw new Unusable("snapshot " + at + " does not match its checksum: it is corrupt and is not served");
    }
    DatabaseIdentity of = DatabaseIdentity.fromJson(content.getJsonObject("database"));
    if (of == null) {
      throw new Unusable("snapshot " + at + " does not name the database it came from: it is not served");
    }
    if (!of.sameDatabase(database)) {
      throw new Unusable("snapshot " + at + " is the configuration of database " + of + ", not of this node's "
          + database + ": it is not served");
    }
    long version = content.getLong("version", -1L);
    if (version < 0 || version != doc.getLong("version", -2L)) {
      throw new Unusable("snapshot " + at + " names no consistent version");
    }
    Map<EntityKey, JsonObject> entities = new HashMap<>();
    JsonObject held = content.getJsonObject("entities", new JsonObject());
    try {
      for (String k : held.fieldNames()) {
        entities.put(EntityKey.decode(k), held.getJsonObject(k));
      }
    } catch (RuntimeException e) {
      throw new Unusable("snapshot " + at + " holds an entity it cannot name: " + e.getMessage());
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
