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
    LocalSnapshot s = new LocalSnapshot(dir.resolve("sub/config-snapshot.json"));
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
    LocalSnapshot s = new LocalSnapshot(dir.resolve("config-snapshot.json"));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("no snapshot"));
    s.write(3, entities());
    String good = Files.readString(s.file());
    Files.writeString(s.file(), good.replace("127.0.0.1:80", "127.0.0.1:81"));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("checksum"));
    Files.writeString(s.file(), good.substring(0, good.length() / 2));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("unreadable"));
    Files.writeString(s.file(), good.replace("\"format\":1", "\"format\":99"));
    assertTrue(assertThrows(LocalSnapshot.Unusable.class, s::read).getMessage().contains("format"));
    Files.write(s.file(), new byte[] {(byte) 0xc3, 0x28});
    assertThrows(LocalSnapshot.Unusable.class, s::read);
    Files.writeString(s.file(), good, StandardCharsets.UTF_8);
    assertEquals(3, s.read().version(), "the good file verifies again");
  }
}
