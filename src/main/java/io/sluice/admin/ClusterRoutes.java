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
 * {@code GET /cluster} (the live nodes and the version each applied), {@code GET /cluster/sync?version=N
 * &timeout=2s} (200 once every live node applied N, 504 naming the laggards otherwise) and the
 * {@code ?wait=true} of admin writes (the answer waits until every live node applied the write's version).
 */
final class ClusterRoutes {

  /** Where the cluster status is put in each request's data, for the write handlers. */
  static final String STATUS = "sluice.cluster.status";
  /** Default and longest wait of /cluster/sync and ?wait=true. */
  static final long DEFAULT_TIMEOUT_MS = 5_000;
  static final long MAX_TIMEOUT_MS = 60_000;
  /** Header of a write answered with ?wait=true: whether every live node applied it within the wait. */
  static final String APPLIED_HEADER = "Sluice-Cluster-Applied";

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s)?");

  private ClusterRoutes() {}

  static void mount(Router router, AdminContext context) {
    router.route().handler(rc -> {
      rc.put(STATUS, context.cluster());
      rc.next();
    });
    router.get("/cluster").handler(rc -> {
      ClusterStatus status = context.cluster();
      JsonObject self = context.syncInfo().get();
      JsonArray nodes = status == null ? new JsonArray().add(self) : status.nodes();
      Replies.json(rc, 200, new JsonObject().put("self", self).put("nodes", nodes));
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
          .onSuccess(v -> Replies.json(rc, 200, new JsonObject().put("version", version).put("synced", true)
              .put("nodes", status.nodes())))
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
    String wait = rc.queryParams().get("wait");
    ClusterStatus status = rc.get(STATUS);
    if (wait == null || wait.equals("false") || status == null) {
      answer.run();
      return;
    }
    status.awaitApplied(version, timeoutMs(rc)).onComplete(ar -> {
      rc.response().putHeader(APPLIED_HEADER, String.valueOf(ar.succeeded()));
      answer.run();
    });
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
