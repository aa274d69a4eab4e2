package io.sluice.admin;

import io.sluice.config.FieldError;
import io.sluice.sync.ClusterStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /cluster} (the live nodes, the version each applied and the entities each rejected; and this
 * node's view of its health-checked and discovered targets, which change without a configuration version),
 * {@code GET /cluster/sync?version=N&timeout=2s} (200 once every live node applied N, 409 naming the
 * rejected entities when every node moved past N but an entity N wrote did not apply on some node, 504
 * naming the laggards otherwise) and the {@code ?wait=true} of admin writes (the answer waits until every
 * live node applied the write's version, and says whether every entity of it applied).
 */
final class ClusterRoutes {

  /** Where the cluster status is put in each request's data, for the write handlers. */
  static final String STATUS = "sluice.cluster.status";
  /** Default and longest wait of /cluster/sync and ?wait=true. */
  static final long DEFAULT_TIMEOUT_MS = 5_000;
  static final long MAX_TIMEOUT_MS = 60_000;
  /**
   * Header of a write answered with ?wait=true: whether every live node applied it within the wait, every
   * entity it wrote included.
   */
  static final String APPLIED_HEADER = "Sluice-Cluster-Applied";
  /** Header of a write that did not apply everywhere: the entities rejected ({@code type/id}, comma separated). */
  static final String REJECTED_HEADER = "Sluice-Cluster-Rejected";
  /** Entities named in {@value #REJECTED_HEADER} at most (the rest is counted): headers stay small. */
  private static final int MAX_HEADER_ENTITIES = 20;

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s)?");

  private ClusterRoutes() {}

  /** {@code upstreams}: this node's view of its health-checked and discovered targets (in /cluster). */
  static void mount(Router router, AdminContext context, java.util.function.Supplier<JsonArray> upstreams) {
    router.route().handler(rc -> {
      rc.put(STATUS, context.cluster());
      rc.next();
    });
    router.get("/cluster").handler(rc -> {
      ClusterStatus status = context.cluster();
      JsonObject self = context.syncInfo().get();
      // A node with no cluster status (file mode) lists itself in the shape of the cluster's entries.
      JsonArray nodes = status != null ? status.nodes() : new JsonArray().add(new JsonObject()
          .put("id", self.getString("node_id")).put("name", self.getString("name"))
          .put("applied_version", self.getLong("applied_version")).putNull("applied_at").put("self", true));
      Replies.json(rc, 200, new JsonObject().put("self", self).put("nodes", nodes).put("upstreams", upstreams.get()));
    });
    router.get("/cluster/sync").handler(rc -> CrudHandler.run(rc, () -> {
      String raw = rc.queryParams().get("version");
      if (raw == null || !raw.matches("\\d{1,18}")) {
        throw ApiException.invalid(List.of(new FieldError("version",
            raw == null ? "required: the configuration version to wait for (an integer, 0 or more)"
                : "must be an integer, 0 or more")));
      }
      long version = Long.parseLong(raw);
      long timeout = timeoutMs(rc);
      ClusterStatus status = context.cluster();
      if (status == null) {
        long applied = context.appliedVersion().getAsLong();
        Replies.json(rc, applied >= version ? 200 : 504, new JsonObject().put("version", version)
            .put("synced", applied >= version));
        return io.vertx.core.Future.succeededFuture();
      }
      return status.awaitApplied(version, timeout)
          .onSuccess(v -> {
            JsonArray rejected = status.rejectedAt(version);
            if (rejected.isEmpty()) {
              Replies.json(rc, 200, new JsonObject().put("version", version).put("synced", true)
                  .put("nodes", status.nodes()));
            } else {
              // Every live node moved past the version, but some entity it wrote does not apply there.
              Replies.json(rc, 409, new JsonObject().put("version", version).put("synced", false)
                  .put("applied", true).put("rejected", rejected).put("nodes", status.nodes()));
            }
          })
          .recover(err -> {
            if (err instanceof ClusterStatus.Laggards l) {
              Replies.json(rc, 504, new JsonObject().put("version", version).put("synced", false)
                  .put("laggards", new JsonArray(List.copyOf(l.nodes))));
              return io.vertx.core.Future.succeededFuture();
            }
            return io.vertx.core.Future.failedFuture(err);
          });
    }));
  }

  /** The timeout query parameter: {@code 2s}, {@code 500ms} or milliseconds; 400 when it is not one. */
  static long timeoutMs(RoutingContext rc) {
    String raw = rc.queryParams().get("timeout");
    if (raw == null) {
      return DEFAULT_TIMEOUT_MS;
    }
    Matcher m = DURATION.matcher(raw.trim());
    if (m.matches()) {
      long ms = Long.parseLong(m.group(1)) * ("s".equals(m.group(2)) ? 1000 : 1);
      if (ms <= MAX_TIMEOUT_MS) {
        return ms;
      }
    }
    throw ApiException.invalid(List.of(new FieldError("timeout",
        "must be a duration such as 2s or 500ms, at most " + MAX_TIMEOUT_MS / 1000 + "s")));
  }

  /**
   * Answers a committed write: at once, or with {@code ?wait=true} once every live node applied
   * {@code version} (the answer then says so in {@value #APPLIED_HEADER}; the write stands either way).
   */
  static void answerWritten(RoutingContext rc, long version, Runnable answer) {
    answerWritten(rc, version, rejected -> answer.run());
  }

  /**
   * Like {@link #answerWritten(RoutingContext, long, Runnable)}; {@code answer} is given the entities of the
   * write that some node rejected (null without ?wait=true or when it timed out, empty when all applied).
   * A write whose version every node applied but with an entity rejected is answered
   * {@value #APPLIED_HEADER}: false and {@value #REJECTED_HEADER} naming the entities.
   */
  static void answerWritten(RoutingContext rc, long version, java.util.function.Consumer<JsonArray> answer) {
    String wait = rc.queryParams().get("wait");
    ClusterStatus status = rc.get(STATUS);
    if (wait == null || wait.equals("false") || status == null) {
      answer.accept(null);
      return;
    }
    status.awaitApplied(version, timeoutMs(rc)).onComplete(ar -> {
      JsonArray rejected = ar.succeeded() ? status.rejectedAt(version) : null;
      rc.response().putHeader(APPLIED_HEADER, String.valueOf(ar.succeeded() && rejected.isEmpty()));
      if (rejected != null && !rejected.isEmpty()) {
        rc.response().putHeader(REJECTED_HEADER, header(rejected));
      }
      answer.accept(rejected);
    });
  }

  /** {@code route/ID, plugin/ID}: each entity once (several nodes reject the same), at most 20, then "+N". */
  private static String header(JsonArray rejected) {
    java.util.Set<String> entities = new java.util.LinkedHashSet<>();
    for (int i = 0; i < rejected.size(); i++) {
      JsonObject r = rejected.getJsonObject(i);
      entities.add(r.getString("type") == null ? "unlisted" : r.getString("type") + "/" + r.getString("id"));
    }
    List<String> listed = entities.stream().limit(MAX_HEADER_ENTITIES).toList();
    return String.join(", ", listed) + (entities.size() > listed.size()
        ? ", +" + (entities.size() - listed.size()) : "");
  }

  /** Checks ?wait= (and its timeout) before a write is made, so bad input writes nothing. */
  static void checkWait(RoutingContext rc) {
    String wait = rc.queryParams().get("wait");
    if (wait != null && !wait.equals("true") && !wait.equals("false")) {
      throw ApiException.invalid(List.of(new FieldError("wait", "must be true or false")));
    }
    if (wait != null) {
      timeoutMs(rc);
    }
  }
}
