package io.sluice.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.FieldDiff;
import io.sluice.config.TenantEntry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a file's {@code tenants} list changes: the host names assigned to each tenant, by name. A tenant the list
 * names gets its names (none when it gives none); a tenant with names that the list leaves out has none assigned
 * after it. Tenants themselves are created by {@link ConfigDiff} (one the list names is created when missing) and
 * never deleted here.
 */
final class TenantDiff {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Sets the host names of each tenant of the JSON array $1 ({@code [{"name", "hosts"}]}) by name. */
  private static final String SET_HOSTS = "update tenants t set hosts = array(select jsonb_array_elements_text("
      + "d->'hosts')) from jsonb_array_elements($1::text::jsonb) d where t.name = d->>'name'";

  /** Each tenant whose names change, with its names in the file (none when the list leaves it out). */
  final Map<String, List<String>> toSet = new LinkedHashMap<>();
  /** Where each tenant of {@link #toSet} is in the file's list ({@code tenants[i]}), or none when it is left out. */
  final Map<String, String> at = new LinkedHashMap<>();
  private final Map<String, List<String>> before = new LinkedHashMap<>();

  /** {@code current}: the tenants with names assigned; {@code wanted}: the file's list (null: left alone). */
  TenantDiff(List<TenantEntry> current, List<TenantEntry> wanted) {
    if (wanted == null) {
      return;
    }
    Map<String, List<String>> stored = new LinkedHashMap<>();
    current.forEach(t -> stored.put(t.name(), t.hosts()));
    for (int i = 0; i < wanted.size(); i++) {
      TenantEntry w = wanted.get(i);
      List<String> old = stored.remove(w.name());
      if (!w.hosts().equals(old == null ? List.of() : old)) {
        toSet.put(w.name(), w.hosts());
        at.put(w.name(), "tenants[" + i + "].");
        before.put(w.name(), old == null ? List.of() : old);
      }
    }
    stored.forEach((name, old) -> {
      toSet.put(name, List.of());
      before.put(name, old);
    });
  }

  /** The changes as the diff lists them: one update of {@code hosts} per tenant. */
  void items(List<ConfigDiff.Item> out) {
    toSet.forEach((name, hosts) -> out.add(new ConfigDiff.Item("tenant", name, "update", List.of(
        new FieldDiff.Change("hosts", JSON.valueToTree(before.get(name)), JSON.valueToTree(hosts))))));
  }

  Future<Void> write(SqlConnection conn) {
    if (toSet.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray docs = new JsonArray();
    toSet.forEach((name, hosts) -> docs.add(new JsonObject().put("name", name).put("hosts", new JsonArray(hosts))));
    return conn.preparedQuery(SET_HOSTS).execute(Tuple.of(docs.encode())).mapEmpty();
  }
}
