package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class EntityKeyTest {

  @Test
  void a_key_is_its_table_and_id_and_decodes_back() {
    UUID id = UUID.randomUUID();
    EntityKey key = new EntityKey(EntityType.ROUTE, id);
    assertEquals("routes:" + id, key.encode());
    assertEquals(key, EntityKey.decode(key.encode()));
    for (EntityType t : EntityType.values()) {
      assertEquals(t, EntityKey.decode(new EntityKey(t, id).encode()).type());
    }
  }

  @Test
  void refuses_a_string_that_names_no_table_or_no_id() {
    assertThrows(IllegalArgumentException.class, () -> EntityKey.decode("cache:key:abc"));
    assertThrows(IllegalArgumentException.class, () -> EntityKey.decode("routes"));
    assertThrows(IllegalArgumentException.class, () -> EntityKey.decode("routes:not-a-uuid"));
  }
}
