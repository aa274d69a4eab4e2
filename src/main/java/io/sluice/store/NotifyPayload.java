package io.sluice.store;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * What a configuration notification may carry besides its version (migration V17): a small change's entities,
 * made in PostgreSQL by {@link #FUNCTION} at the version's commit and read back by {@link #parse} in the sync
 * leader, which then publishes the version without reading the change log.
 */
public final class NotifyPayload {

  private NotifyPayload() {}

  /**
   * The entity types a notification may carry whole (see {@link #FUNCTION}): their JSON holds no secret,
   * since any role that may connect to the database may LISTEN. A plugin's configuration may hold one (the headers
   * request-transformer adds upstream), and consumers, credentials, certificates and tenants change caches or
   * other entities: a version touching any of them is read.
   */
  private static final List<EntityType> ANNOUNCED = List.of(EntityType.SERVICE, EntityType.ROUTE, EntityType.SNI);
  /** Change-log rows a version may have to be carried in its notification. */
  static final int ANNOUNCED_ROWS = 32;
  /** The JSON's size at most: PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more (the version goes first). */
  static final int ANNOUNCED_BYTES = 7_900;
  /** The payload's format, so that a leader of another build reads what it cannot parse instead. */
  private static final int ANNOUNCED_FORMAT = 1;

  /**
   * {@code sluice_sync_payload(version)}: a small version's entities as {@link ChangeReader#after} loads them, for the
   * notification the version's commit sends (migration V17), or null. Made by {@link Migrations} at each node's
   * start from the read's own projections, so that what a notification carries cannot drift from what a read loads.
   * JSON: {@code {"f": 1, "at": commit time in ms, "e": [[table, id, entity JSON as text or null if gone], ...]}}.
   */
  public static final String FUNCTION;

  static {
    StringBuilder loads = new StringBuilder();
    String types = ANNOUNCED.stream().map(EntityType::table).collect(Collectors.joining(",", "'{", "}'"));
    for (EntityType type : ANNOUNCED) {
      String load = switch (type) {
        case SERVICE -> ChangeReader.SERVICES;
        case ROUTE -> ChangeReader.ROUTES;
        case SNI -> ChangeReader.SNIS;
        default -> throw new IllegalStateException(type.toString());
      };
      loads.append(loads.isEmpty() ? "" : " union all ").append(load).append(" where x.id = c.id and c.entity = '")
          .append(type.table()).append('\'');
    }
    FUNCTION = "create or replace function sluice_sync_payload(v bigint) returns text language plpgsql"
        + " stable as $f$\n"
        + "declare\n  n int;\n  other boolean;\n  body text;\n"
        + "begin\n"
        + "  select count(*), coalesce(bool_or(entity <> all(" + types + "::text[])), false) into n, other\n"
        + "    from (select entity from change_log where version = v limit " + (ANNOUNCED_ROWS + 1) + ") c;\n"
        + "  if n = 0 or n > " + ANNOUNCED_ROWS + " or other then\n    return null;\n  end if;\n"
        + "  select jsonb_build_object('f', " + ANNOUNCED_FORMAT + ", 'at', (extract(epoch from min(c.at)) * 1000)::bigint,"
        + " 'e', jsonb_agg(jsonb_build_array(c.entity, c.id, e.def)))::text into body\n"
        + "    from change_log c left join lateral (" + loads + ") e (id, def) on true\n"
        + "   where c.version = v;\n"
        + "  return case when octet_length(body) <= " + ANNOUNCED_BYTES + " then body end;\n"
        + "end $f$";
  }

  /**
   * The delta of {@code version} from what its notification carried (see {@link #FUNCTION}), or null when
   * {@code json} is not that (another build's format): the version is then read like any other.
   */
  public static Delta parse(long version, String json) {
    try {
      JsonObject o = new JsonObject(json);
      if (!Integer.valueOf(ANNOUNCED_FORMAT).equals(o.getInteger("f"))) {
        return null;
      }
      Map<EntityKey, String> entries = new HashMap<>();
      List<EntityKey> keys = new ArrayList<>();
      for (Object item : o.getJsonArray("e")) {
        JsonArray e = (JsonArray) item;
        EntityKey key = new EntityKey(EntityType.ofTable(e.getString(0)), UUID.fromString(e.getString(1)));
        if (!ANNOUNCED.contains(key.type())) {
          return null;
        }
        if (!entries.containsKey(key)) {
          keys.add(key);
        }
        entries.put(key, e.getString(2));
      }
      return new Delta(version, version - 1, false, entries, List.copyOf(keys), List.of(), false,
          List.of(o.getLong("at")), null, false);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
