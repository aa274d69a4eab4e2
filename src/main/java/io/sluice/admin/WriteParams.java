package io.sluice.admin;

import io.sluice.config.FieldError;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The query parameters each admin write (POST, PUT, PATCH, DELETE) takes; any other is refused with 400 naming
 * it before anything is written. Ignored, a parameter the caller believed in did the opposite of its intent:
 * {@code POST /routes?dry_run=true} created the route. A {@code dry_run} that is neither true nor false is
 * refused too ({@code ?dry_run=1} was a real write). Reads keep their own checks ({@link Paging}).
 */
final class WriteParams {

  /** What every write that bumps the configuration version takes ({@link ClusterRoutes#answerWritten}). */
  private static final Set<String> WAIT = Set.of("wait", "timeout");
  private static final Set<String> CONFIG = Set.of("dry_run", "wait", "timeout");
  private static final Set<String> ROLLBACK = Set.of("to", "dry_run", "wait", "timeout");

  private WriteParams() {}

  static void check(RoutingContext rc) {
    HttpMethod m = rc.request().method();
    if (m != HttpMethod.POST && m != HttpMethod.PUT && m != HttpMethod.PATCH && m != HttpMethod.DELETE) {
      rc.next();
      return;
    }
    // The path the router dispatches on, as AdminVerticle.operatorOnly reads it.
    Set<String> allowed = allowed(rc.normalizedPath());
    List<FieldError> errors = new ArrayList<>();
    for (String name : rc.queryParams().names()) {
      if (!allowed.contains(name)) {
        errors.add(new FieldError(name, "is not a parameter of " + m + " " + rc.normalizedPath() + " ("
            + (allowed.isEmpty() ? "it takes none" : "it takes " + String.join(", ", allowed.stream().sorted().toList()))
            + (name.equals("dry_run") ? "; only PUT /config and POST /config/rollback have a dry run" : "")
            + "): nothing was written"));
      }
    }
    String dryRun = rc.queryParams().get("dry_run");
    if (allowed.contains("dry_run") && dryRun != null && !dryRun.equalsIgnoreCase("true")
        && !dryRun.equalsIgnoreCase("false")) {
      errors.add(new FieldError("dry_run", "must be true or false"));
    }
    if (errors.isEmpty()) {
      rc.next();
    } else {
      Replies.error(rc, ApiException.invalid(errors));
    }
  }

  /** The parameters a write to {@code path} takes. */
  static Set<String> allowed(String path) {
    if (path.equals("/config")) {
      return CONFIG;
    }
    if (path.equals("/config/rollback")) {
      return ROLLBACK;
    }
    // Tokens, log levels, tracing and the proxy cache are not configuration versions: nothing to wait for.
    if (path.startsWith("/admin-tokens") || path.matches("/tenants/[^/]+/stream-tokens(/.*)?")
        || path.startsWith("/logging/") || path.equals("/tracing") || path.startsWith("/proxy-cache")) {
      return Set.of();
    }
    return WAIT;
  }
}
