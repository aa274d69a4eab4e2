package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * The fields that differ between two versions of one entity, for a person to read: each leaf by its path in
 * the declarative file ({@code timeouts.read_ms}, {@code targets[1].address}) with its old and new value (null
 * where absent). What {@code sluice config diff} and a dry run print under an update.
 */
public final class FieldDiff {

  /** One field changed: its path, the value before and after (JSON, null when absent). */
  public record Change(String field, JsonNode old, JsonNode now) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private FieldDiff() {}

  /** The changed leaves between {@code old} and {@code now} (records in the file's shape), in field order. */
  public static List<Change> between(Object old, Object now) {
    List<Change> out = new ArrayList<>();
    walk("", JSON.valueToTree(old), JSON.valueToTree(now), out);
    return out;
  }

  private static void walk(String path, JsonNode a, JsonNode b, List<Change> out) {
    boolean absentA = a == null || a.isNull() || a.isMissingNode();
    boolean absentB = b == null || b.isNull() || b.isMissingNode();
    if (absentA && absentB) {
      return;
    }
    if (!absentA && !absentB && a.isObject() && b.isObject()) {
      TreeSet<String> names = new TreeSet<>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      // The file's field order where there is one, then any other (sorted).
      List<String> ordered = new ArrayList<>();
      for (Iterator<String> it = (a.size() >= b.size() ? a : b).fieldNames(); it.hasNext(); ) {
        ordered.add(it.next());
      }
      names.stream().filter(n -> !ordered.contains(n)).forEach(ordered::add);
      for (String n : ordered) {
        walk(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n), out);
      }
    } else if (!absentA && !absentB && a.isArray() && b.isArray()) {
      for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
        walk(path + "[" + i + "]", a.get(i), b.get(i), out);
      }
    } else if (absentA || absentB || !a.equals(b)) {
      out.add(new Change(path, absentA ? null : a, absentB ? null : b));
    }
  }
}
