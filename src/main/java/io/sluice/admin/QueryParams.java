package io.sluice.admin;

import io.sluice.config.FieldError;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The query parameters each admin request takes. Any other, one given twice, or one given empty is refused with 400
 * naming it before the request is handled (nothing written, nothing listed). Ignored, a parameter the caller
 * believed in did the opposite of its intent: {@code POST /routes?dry_run=true} created the route, and
 * {@code GET /consumers?custom_id=x} (a Kong filter) listed every consumer to a script that meant to delete what it
 * listed; given twice, one value silently won. Values are checked where they are read ({@link Paging},
 * {@link HistoryRoutes}, {@link ClusterRoutes}), {@code dry_run} here. The public paths ({@code /version},
 * {@code /health/*}) take none, by GET or HEAD: {@code /health/ready?verbose=1} showed nothing more, which its caller
 * could not tell. {@code /metrics} takes Prometheus's {@code name[]} (repeated, as a scrape configuration sends it).
 */
final class QueryParams {

  /** What every write that bumps the configuration version takes ({@link ClusterRoutes#answerWritten}). */
  private static final Set<String> WAIT = Set.of("wait", "timeout");
  private static final Set<String> CONFIG = Set.of("dry_run", "wait", "timeout");
  private static final Set<String> ROLLBACK = Set.of("to", "dry_run", "wait", "timeout");

  /** A list paged by {@link Paging}; {@code offset} is left for it to refuse with the way to page instead. */
  private static final Set<String> PAGE = Set.of("limit", "cursor", "offset");
  private static final Set<String> PAGE_BY_TENANT = Set.of("limit", "cursor", "offset", "tenant");
  private static final Set<String> HISTORY = Set.of("cursor", "limit", "since", "until", "entity", "tenant");
  private static final Set<String> NONE = Set.of();
  /** What Prometheus's scrape configurations send to an exporter; the one parameter that may be repeated. */
  private static final String METRIC_NAMES = MetricsRoute.NAMES;
  /** The paths anyone may read, by GET or HEAD (a load balancer's probe). */
  static final Set<String> PUBLIC = Set.of("/version", "/health/live", "/health/ready");
  /** The entity resources whose lists take {@code ?tenant=} (EntityStore.byTenant), and the one that does not. */
  private static final Set<String> BY_TENANT = Set.of("services", "routes", "consumers", "plugins", "certificates",
      "snis");

  private QueryParams() {}

  static void check(RoutingContext rc) {
    HttpMethod m = rc.request().method();
    boolean write = m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH || m == HttpMethod.DELETE;
    // The path the router dispatches on, as AdminVerticle.operatorOnly reads it.
    String path = rc.normalizedPath();
    Set<String> allowed = write ? writes(path)
        : m == HttpMethod.GET || m == HttpMethod.HEAD && PUBLIC.contains(path) ? reads(path) : null;
    if (allowed == null) {
      rc.next(); // no read of the admin API: the router answers 404 or 405
      return;
    }
    List<FieldError> errors = new ArrayList<>();
    for (String name : rc.queryParams().names()) {
      List<String> values = rc.queryParams().getAll(name);
      if (name.equals("offset") && allowed == PAGE || name.equals("offset") && allowed == PAGE_BY_TENANT) {
        continue; // Paging refuses it, with what to do instead, beside its other refusals
      }
      if (!allowed.contains(name)) {
        errors.add(new FieldError(name, unknown(name, m, path, allowed, write)));
      } else if (values.size() > 1 && !name.equals(METRIC_NAMES)) {
        errors.add(new FieldError(name, "is given " + values.size() + " times: give it once"));
      } else if (values.get(0).isEmpty()) {
        errors.add(new FieldError(name, "is empty: give a value, or leave the parameter out"));
      }
    }
    String dryRun = rc.queryParams().get("dry_run");
    if (allowed.contains("dry_run") && dryRun != null && !dryRun.isEmpty() && !dryRun.equalsIgnoreCase("true")
        && !dryRun.equalsIgnoreCase("false")) {
      errors.add(new FieldError("dry_run", "must be true or false"));
    }
    if (errors.isEmpty()) {
      rc.next();
    } else {
      Replies.error(rc, ApiException.invalid(errors));
    }
  }

  private static String unknown(String name, HttpMethod m, String path, Set<String> allowed, boolean write) {
    List<String> takes = allowed.stream().filter(p -> !p.equals("offset")).sorted().toList();
    return "is not a parameter of " + m + " " + path + " ("
        + (takes.isEmpty() ? "it takes none" : "it takes " + String.join(", ", takes))
        + (name.equals("dry_run") ? "; only PUT /config and POST /config/rollback have a dry run" : "")
        + (write ? "): nothing was written" : "): nothing was listed or read");
  }

  /** The parameters a write to {@code path} takes. */
  static Set<String> writes(String path) {
    if (path.equals("/config")) {
      return CONFIG;
    }
    if (path.equals("/config/rollback")) {
      return ROLLBACK;
    }
    // Tokens, log levels, tracing and the proxy cache are not configuration versions: nothing to wait for.
    if (path.startsWith("/admin-tokens") || path.matches("/tenants/[^/]+/stream-tokens(/.*)?")
        || path.startsWith("/logging/") || path.equals("/tracing") || path.startsWith("/proxy-cache")) {
      return NONE;
    }
    return WAIT;
  }

  /** The parameters a GET of {@code path} takes, or null where the admin API serves no GET (or for /metrics). */
  static Set<String> reads(String path) {
    String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String[] s = p.substring(1).split("/", -1);
    boolean entity = s[0].equals("tenants") || BY_TENANT.contains(s[0]);
    return switch (s.length) {
      case 1 -> switch (s[0]) {
        case "tenants", "admin-tokens" -> PAGE;
        case "config" -> Set.of("version"); // an export of the past (GET /config?version=N)
        case "cluster", "logging", "tracing", "openapi.yaml", "version" -> NONE;
        case "metrics" -> Set.of(METRIC_NAMES);
        default -> BY_TENANT.contains(s[0]) ? PAGE_BY_TENANT : null;
      };
      case 2 -> p.equals("/config/history") ? HISTORY : p.equals("/cluster/sync") ? Set.of("version", "timeout")
          : p.equals("/health/live") || p.equals("/health/ready") ? NONE
          : entity || s[0].equals("logging") ? NONE : null;
      case 3 -> p.matches("/consumers/[^/]+/(keys|jwt)|/tenants/[^/]+/stream-tokens") ? PAGE
          : p.matches("/services/[^/]+/health|/config/history/[^/]+") ? NONE : null;
      case 4 -> p.matches("/consumers/[^/]+/(keys|jwt)/[^/]+") ? NONE : null;
      default -> null;
    };
  }
}
