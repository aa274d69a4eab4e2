package io.sluice.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local snapshot: what is written is read back exactly; what does not verify is never served. */
class LocalSnapshotTest {

  private static final DatabaseIdentity DB = DatabaseIdentity.of("db.example", 5432, "sluice");

  @TempDir
  Path dir;

  private static Map<EntityKey, JsonObject> entities() {
    return Map.of(
        new EntityKey(EntityType.SERVICE, UUID.randomUUID()), new JsonObject().put("seq", 1L).put("def",
            new JsonObject().put("name", "svc").put("targets", new JsonArray().add(new JsonObject()
                .put("address", "127.0.0.1:80").put("weight", 100)))),
        new EntityKey(EntityType.ROUTE, UUID.randomUUID()), new JsonObject().put("seq", 2L).put("changed_in", 7L)
            .put("def", new JsonObject().put("name", "r").put("paths", new JsonArray().add("/r"))
                .put("ratio", 0.25).put("unicode", "caf\u00e9 \u2603")));
  }

  @Test
  void what_is_written_reads_back_exactly_and_a_rewrite_replaces_it() throws Exception {
    LocalSnapshot s = new LocalSnapshot(dir.resolve("sub/config-snapshot.json"), DB);
    Map<EntityKey, JsonObject> first = entities();
    s.write(7, first);
    LocalSnapshot.State read = s.read();
    assertEquals(7, read.version());
    assertEquals(first, read.entities());
    Map<EntityKey, JsonObject> second = entities();
    s.write(9, second);
    assertEquals(9, s.read().version());
    assertEquals(second, s.read().entities());
    assertTrue(Files.list(s.file().getParent()).noneMatch(p -> p.toString().endsWith(".tmp")), "no temp file left");
  }

  @Test
  void a_corrupt_truncated_foreign_or_missing_snapshot_is_refused_with_its_reason() throws Exception {
    LocalSnapshot s = new LocalSnapshot(dir.resolve("config-snapshot.json"), DB);
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("no snapshot"));
    s.write(3, entities());
    String good = Files.readString(s.file());
    Files.writeString(s.file(), good.replace("127.0.0.1:80", "127.0.0.1:81"));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("checksum"));
    Files.writeString(s.file(), good.substring(0, good.length() / 2));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("unreadable"));
    Files.writeString(s.file(), good.replace("\"format\":2", "\"format\":99"));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("format"));
    Files.write(s.file(), new byte[] {(byte) 0xc3, 0x28});
    assertThrows(LocalSnapshot.Unusable.class, s::read);
    Files.writeString(s.file(), good, StandardCharsets.UTF_8);
    assertEquals(3, s.read().version(), "the good file verifies again");
  }

  @Test
  void a_snapshot_of_another_database_or_naming_none_is_refused_naming_both() throws Exception {
    Path file = dir.resolve("config-n1.json");
    DatabaseIdentity a = DB.learned("7001", 16384L);
    LocalSnapshot written = new LocalSnapshot(file, DB);
    written.learned(a);
    written.write(5, entities());
    assertEquals(a, written.read().database());
    assertEquals(5, new LocalSnapshot(file, DB).read().version(), "a node whose database is down knows the address");

    String other = assertThrows(LocalSnapshot.Unusable.class,
        () -> new LocalSnapshot(file, DatabaseIdentity.of("db.example", 5432, "other")).read()).getMessage();
    assertTrue(other.contains("db.example:5432/sluice") && other.contains("db.example:5432/other"), other);
    assertThrows(LocalSnapshot.Unusable.class, () -> new LocalSnapshot(file, DatabaseIdentity.of("db.example", 5433,
        "sluice")).read());
    assertThrows(LocalSnapshot.Unusable.class, () -> new LocalSnapshot(file, DatabaseIdentity.of("db2.example", 5432,
        "sluice")).read());
    String recreated = assertThrows(LocalSnapshot.Unusable.class,
        () -> new LocalSnapshot(file, DB.learned("7001", 99999L)).read()).getMessage();
    assertTrue(recreated.contains("16384") && recreated.contains("99999"), recreated);
    assertThrows(LocalSnapshot.Unusable.class, () -> new LocalSnapshot(file, DB.learned("7002", 16384L)).read());
    assertEquals(5, new LocalSnapshot(file, DatabaseIdentity.of("DB.example", 5432, "sluice")).read().version(),
        "host names are compared without case");

    // The format before snapshots named their database: nothing says whose it is, so it is never served.
    String legacy = new JsonObject().put("format", 1).put("version", 3).put("written_at", 0L).put("sha256", "x")
        .put("content", new JsonObject().put("version", 3).put("entities", new JsonObject())).encode();
    Files.writeString(file, legacy);
    String earlier = assertThrows(LocalSnapshot.Unusable.class, () -> new LocalSnapshot(file, DB).read()).getMessage();
    assertTrue(earlier.contains("does not name the database"), earlier);
  }

  /**
   * A node that wrote its snapshot with pg.url naming 127.0.0.1 and starts, with PostgreSQL down, naming localhost
   * (the same server): it finds that snapshot, and of the node's snapshots of one database the newest is served.
   */
  @Test
  void a_snapshot_written_at_another_spelling_of_the_same_server_is_served_the_newest_first() throws Exception {
    DatabaseIdentity ip = DatabaseIdentity.of("127.0.0.1", 5432, "sluice");
    DatabaseIdentity name = DatabaseIdentity.of("localhost", 5432, "sluice");
    LocalSnapshot byIp = new LocalSnapshot(LocalSnapshot.file(dir, "config-n1", ip), ip);
    LocalSnapshot byName = new LocalSnapshot(LocalSnapshot.file(dir, "config-n1", name), name);
    assertTrue(!byIp.file().equals(byName.file()), "a file per address as pg.url spells it");
    byIp.write(5, entities());
    assertEquals(5, byName.read().version(), "written at 127.0.0.1, read at localhost");
    Thread.sleep(5);  // written_at is in milliseconds
    byName.write(7, entities());
    assertEquals(7, byIp.read().version(), "its own file is older: the newest of the database is served");
    assertEquals(7, byName.read().version());

    String otherNode = assertThrows(LocalSnapshot.Unusable.class, () -> new LocalSnapshot(
        LocalSnapshot.file(dir, "config-n2", name), name).read()).getMessage();
    assertTrue(otherNode.startsWith("no snapshot at") && !otherNode.contains(";"), "another node's: " + otherNode);
    for (DatabaseIdentity other : new DatabaseIdentity[] {DatabaseIdentity.of("localhost", 5433, "sluice"),
        DatabaseIdentity.of("localhost", 5432, "other"), DatabaseIdentity.of("db.invalid", 5432, "sluice")}) {
      String refused = assertThrows(LocalSnapshot.Unusable.class, () -> new LocalSnapshot(
          LocalSnapshot.file(dir, "config-n1", other), other).read()).getMessage();
      assertTrue(refused.startsWith("no snapshot at") && refused.contains("is the configuration of database"
          + " 127.0.0.1:5432/sluice, not of this node's " + other.address()), refused);
    }
  }

  /** Once both sides know what the server said of itself, that decides, however pg.url spelled its address. */
  @Test
  void the_database_identifiers_decide_when_both_sides_know_them() {
    DatabaseIdentity known = DB.learned("7001", 16384L);
    assertTrue(known.sameDatabase(DatabaseIdentity.of("10.1.2.3", 6432, "sluice").learned("7001", 16384L)),
        "another address of the same database (a pooler, a name of the server)");
    assertTrue(!known.sameDatabase(DB.learned("7001", 16385L)), "a database created again");
    assertTrue(!known.sameDatabase(DB.learned("7002", 16384L)), "another server");
    assertTrue(!DB.sameDatabase(DatabaseIdentity.of("db2.example", 5432, "sluice")), "an address alone must match");
    assertTrue(DatabaseIdentity.of("127.0.0.1", 5432, "sluice").sameDatabase(DatabaseIdentity.of("localhost",
        5432, "sluice")), "localhost resolves to 127.0.0.1");
  }

  @Test
  void the_short_hash_tells_databases_apart_and_never_carries_the_credentials() {
    assertEquals(DB.shortHash(), DatabaseIdentity.of("DB.EXAMPLE", 5432, "sluice").shortHash());
    assertTrue(!DB.shortHash().equals(DatabaseIdentity.of("db.example", 5432, "other").shortHash()));
    assertEquals(8, DB.shortHash().length());
  }
}
