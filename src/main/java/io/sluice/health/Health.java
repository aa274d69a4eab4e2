package io.sluice.health;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * The node's health: one named check per dependency. A check is critical when the node cannot serve without
 * it (the route table, the listeners); the other dependencies (PostgreSQL, Redis, Kafka, the cluster) are
 * reported with their state but never turn the node not-ready: a node keeps serving its applied
 * configuration through a store outage, and pulling every pod out of the load balancer because the
 * database blinked would turn a degraded gateway into a dead one.
 */
public final class Health {

  /** What a check reports: up or not, and details worth showing to an operator (may be empty). */
  public record State(boolean up, JsonObject details) {

    public static State ok() {
      return new State(true, new JsonObject());
    }

    public static State failing(String reason) {
      return new State(false, new JsonObject().put("reason", reason));
    }

    public State with(String key, Object value) {
      details.put(key, value);
      return this;
    }
  }

  private record Check(boolean critical, Supplier<State> probe) {}

  private final Map<String, Check> checks = new ConcurrentSkipListMap<>();

  /** Adds (or replaces) a check; {@code probe} is called on every /health/ready and must not block. */
  public Health register(String name, boolean critical, Supplier<State> probe) {
    checks.put(name, new Check(critical, probe));
    return this;
  }

  /**
   * The report: {@code status} UP (every check up), DEGRADED (a non-critical dependency is down: still
   * ready) or DOWN (a critical check is down: not ready), and each check with its state and details.
   */
  public JsonObject report() {
    JsonObject list = new JsonObject();
    boolean ready = true;
    boolean allUp = true;
    for (Map.Entry<String, Check> e : checks.entrySet()) {
      State s = probe(e.getValue());
      ready &= s.up() || !e.getValue().critical();
      allUp &= s.up();
      list.put(e.getKey(), new JsonObject().put("status", s.up() ? "UP" : "DOWN")
          .put("critical", e.getValue().critical()).mergeIn(s.details()));
    }
    return new JsonObject().put("status", !ready ? "DOWN" : allUp ? "UP" : "DEGRADED").put("checks", list);
  }

  /**
   * {@code report} as anyone who reaches the listener may see it (a probe sends no token): the status, and of each
   * check its status, whether it is critical, and its counts and flags (numbers and booleans); a list becomes its
   * count ({@code invalid} as {@code invalid_count}, unless the check gives one). Ids, tenant names, addresses and
   * reasons are an operator's: an invalid consumer listed by id and tenant told anyone who could reach the port
   * which tenants exist and which of their rows are broken.
   */
  public static JsonObject summary(JsonObject report) {
    JsonObject checks = new JsonObject();
    report.getJsonObject("checks").forEach(e -> {
      JsonObject full = (JsonObject) e.getValue();
      JsonObject shown = new JsonObject();
      full.forEach(d -> {
        if (d.getValue() instanceof Number || d.getValue() instanceof Boolean || d.getKey().equals("status")) {
          shown.put(d.getKey(), d.getValue());
        } else if (d.getValue() instanceof JsonArray list && !full.containsKey(d.getKey() + "_count")) {
          shown.put(d.getKey() + "_count", list.size());
        }
      });
      checks.put(e.getKey(), shown);
    });
    return new JsonObject().put("status", report.getString("status")).put("checks", checks);
  }

  private static State probe(Check c) {
    try {
      State s = c.probe().get();
      return s == null ? State.failing("no answer") : s;
    } catch (RuntimeException e) {
      return State.failing(e.toString());
    }
  }
}
