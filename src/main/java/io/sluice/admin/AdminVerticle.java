package io.sluice.admin;

import io.sluice.credential.AdminTokens;
import io.sluice.health.Health;
import io.sluice.proxy.StrictRequestDecoder;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.sluice.store.AdminTokenStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.sluice.tls.TlsOptions;
import io.sluice.util.ReadTimeouts;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The admin listener (127.0.0.1:9001 by default): version, health and the OpenAPI document for anyone who
 * can reach it, metrics and the admin API behind the bearer admin token when one is configured.
 */
public final class AdminVerticle extends VerticleBase {

  private final NodeSettings settings;
  private final AdminContext context;
  private final Health health;
  private final String registryName;
  private HttpServer server;
  private Router router;
  /** The upstream health report of a service by name (null: none), for /services/{name}/health. */
  private java.util.function.Function<String, ServiceHealth> upstreamHealth = name -> null;

  /** A served service's health report and the id of its tenant (null for a node configured by file only). */
  public record ServiceHealth(String tenantId, JsonObject body) {}

  /** This node's watched and discovered services, for /cluster (see HealthReport.watched). */
  private java.util.function.Supplier<io.vertx.core.json.JsonArray> upstreams = io.vertx.core.json.JsonArray::new;

  private io.sluice.tracing.TracingControl tracing;

  public AdminVerticle(AdminContext context, String registryName, Health health) {
    this.context = context;
    this.settings = context.settings();
    this.registryName = registryName;
    this.health = health;
  }

  /** Where /services/{name}/health reads from (set before the verticle is deployed). */
  public AdminVerticle upstreamHealth(java.util.function.Function<String, ServiceHealth> report) {
    this.upstreamHealth = report;
    return this;
  }

  /** This node's tracing, turned on and off at runtime through /tracing (null: the routes answer 404). */
  public AdminVerticle tracing(io.sluice.tracing.TracingControl control) {
    this.tracing = control;
    return this;
  }

  /** Where /cluster reads this node's view of its watched and discovered targets from. */
  public AdminVerticle upstreams(java.util.function.Supplier<io.vertx.core.json.JsonArray> view) {
    this.upstreams = view;
    return this;
  }

  /** The methods the routes of {@code path} take (a route's {@code :param} segment matches any one segment). */
  private SortedSet<String> allowed(String path) {
    SortedSet<String> methods = new TreeSet<>();
    String[] segments = path.split("/", -1);
    for (Route route : router.getRoutes()) {
      String pattern = route.getPath();
      if (pattern == null || route.methods() == null || route.methods().isEmpty()) {
        continue;
      }
      String[] parts = pattern.split("/", -1);
      boolean match = parts.length == segments.length;
      for (int i = 0; match && i < parts.length; i++) {
        match = parts[i].startsWith(":") ? !segments[i].isEmpty() : parts[i].equals(segments[i]);
      }
      if (match) {
        route.methods().forEach(m -> methods.add(m.name()));
      }
    }
    if (methods.contains(HttpMethod.GET.name())) {
      methods.add(HttpMethod.HEAD.name()); // answered as the GET (below)
    }
    return methods;
  }

  @Override
  public Future<?> start() {
    router = Router.router(vertx);
    // Every answer is JSON, also the router's own: a body over a limit, an unknown method, a failure.
    router.errorHandler(413, rc -> Replies.error(rc, 413, "body_too_large", "the request body is too large"));
    router.errorHandler(405, rc -> {
      // A handler of our own replaces the router's, which alone would have said Allow (RFC 9110 15.5.6: a MUST).
      rc.response().putHeader("Allow", String.join(", ", allowed(rc.request().path())));
      Replies.error(rc, 405, "method_not_allowed", rc.request().method() + " is not allowed on " + rc.request().path());
    });
    router.errorHandler(500, rc -> Replies.error(rc, 500, "internal", "internal error"));
    // The body handler refuses an Expect other than 100-continue (RFC 9110 10.1.1); said as the proxy says it.
    router.errorHandler(417, rc -> Replies.error(rc, 417, "expectation_failed",
        "unsupported expectation in the Expect header (only 100-continue is supported)"));
    // A body the connection could not read (a chunk size that is not hex) fails with no error status: 400 in JSON.
    router.route().failureHandler(rc -> {
      if (!MalformedRequests.unreadableBody(rc)) {
        rc.next();
      }
    });
    router.route().handler(new AdminGuard(settings.admin().token().isEmpty())::handle);
    Buffer openApi = openApiDocument();
    BuildInfo build = BuildInfo.current();
    // The public resources take GET and HEAD (load balancers probe with either); any other method is 405 with
    // Allow, answered here, before the token check would answer 401 for a resource anyone may read.
    for (String open : QueryParams.PUBLIC) {
      router.route(open).handler(rc -> {
        HttpMethod m = rc.request().method();
        if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
          QueryParams.check(rc);
          return;
        }
        rc.response().putHeader("Allow", "GET, HEAD");
        Replies.error(rc, 405, "method_not_allowed", m + " is not allowed on " + open);
      });
    }
    router.route("/version").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(rc -> json(rc, 200,
        new JsonObject().put("version", build.version()).put("commit", build.commit()).put("built", build.built())));
    router.route("/health/live").method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(rc -> json(rc, 200, new JsonObject().put("status", "UP")));
    // Ready while every critical check is up; a dependency that is down only shows (status DEGRADED). Without a
    // token (a probe) the status and counts only; a token given is checked, and an operator's shows the details.
    router.route("/health/ready").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(rc -> {
      if (rc.request().getHeader("Authorization") != null || settings.admin().token().isEmpty()) {
        authenticate(rc);
      } else {
        rc.next();
      }
    }).handler(rc -> {
      JsonObject report = health.report();
      json(rc, "DOWN".equals(report.getString("status")) ? 503 : 200,
          Principal.operator(rc) ? report : Health.summary(report));
    });
    // Everything below needs the admin token (when one is set): only /version and /health/* are public.
    router.route().handler(this::authenticate);
    router.route().handler(AdminVerticle::operatorOnly);
    router.route().handler(QueryParams::check);
    // HEAD wherever GET is (RFC 9110 section 9.3.2: the GET's status and headers, no body): routed again as the GET,
    // whose body Vert.x leaves out of an answer to a HEAD. Where no GET is, the answer is the GET's 404 or 405.
    router.route().method(HttpMethod.HEAD).handler(rc -> rc.reroute(HttpMethod.GET, rc.request().uri()));
    router.get("/openapi.yaml").handler(rc -> rc.response().putHeader("Content-Type", "application/yaml")
        .end(openApi));
    router.get("/metrics").handler(new MetricsRoute(registryName));
    if (context.storeEnabled()) {
      new AdminTokenRoutes(context.entities().adminTokens(), settings.keys().hmacSecret()).mount(router);
    }
    ClusterRoutes.mount(router, context, upstreams);
    UpstreamHealthRoutes.mount(router, context, settings.nodeName(), upstreamHealth);
    ResourceRoutes.mount(router, context);
    ConfigRoutes.mount(router, context);
    HistoryRoutes.mount(router, context);
    RollbackRoutes.mount(router, context);
    LogLevelRoutes.mount(router);
    if (tracing != null) {
      TracingRoutes.mount(router, tracing);
    }
    CacheRoutes.mount(router, context);
    // A request Vert.x Web refuses before any route (an HTTP/1.1 request without a valid Host): the admin API's
    // JSON 400 naming the header, instead of a plain-text "Bad Request" and an ERROR line a client could write at will.
    router.errorHandler(400, AdminVerticle::badRequest);
    // No route of the path: 404. A route of the path but not of the method: 405 with Allow. The router says 405 only
    // when no route without a method (a body handler, a check of every request) matched after the one refused, so
    // it answered 404 to POST /metrics or DELETE /admin-tokens: the methods are looked up here instead.
    router.errorHandler(404, rc -> {
      SortedSet<String> methods = allowed(rc.normalizedPath()); // the path the router dispatched on (.. resolved)
      if (!methods.isEmpty() && !methods.contains(rc.request().method().name())) {
        rc.response().putHeader("Allow", String.join(", ", methods));
        Replies.error(rc, 405, "method_not_allowed", rc.request().method() + " is not allowed on "
            + rc.request().path());
        return;
      }
      json(rc, 404, new JsonObject().put("error", new JsonObject()
          .put("status", 404).put("code", "not_found").put("message", "no admin resource " + rc.request().path())));
    });
    // https:// when node settings give the admin listener a certificate (files: it must work without the database).
    // HTTP/1.1 only: with h2c on, Vert.x would show a connection to connectionHandler only once a head had come whole,
    // too late for the read timeouts.
    HttpServerOptions options = TlsOptions.files(new HttpServerOptions().setHttp2ClearTextEnabled(false), "admin",
        settings.admin().tlsCertFile(), settings.admin().tlsKeyFile(), settings.tls());
    server = vertx.createHttpServer(options);
    NodeSettings.Admin a = settings.admin();
    ReadTimeouts.Limits limits = new ReadTimeouts.Limits(a.headerTimeoutMs(), a.bodyTimeoutMs(),
        a.idleTimeoutS() * 1000L);
    return server.connectionHandler(conn -> {
          // Framing read as the proxy reads it: Content-Length twice (Netty keeps the first in HTTP/1.0) is refused.
          StrictRequestDecoder.install(conn, options, StrictRequestDecoder.LISTENER_MAX_HEADERS, 0);
          MalformedRequests.guard(conn);
          ReadTimeouts.install(conn, limits, AdminVerticle::timedOut);
        }).requestHandler(router)
        .invalidRequestHandler(MalformedRequests::head)
        .listen(settings.admin().port(), settings.admin().host());
  }

  /**
   * Everything past this point needs a token: the bootstrap operator token (admin.token, compared in constant
   * time) or an admin token (sat_..., looked up by digest in PostgreSQL on every request, so that a revoked one
   * is refused at once on every node). Without admin.token the listener is loopback-only and a request without
   * a token is an operator's; a token it does carry must still be valid.
   */
  private void authenticate(RoutingContext rc) {
    String token = settings.admin().token();
    String header = rc.request().getHeader("Authorization");
    // The scheme is case-insensitive (RFC 9110 11.1): "bearer", "BEARER" and "Bearer" alike.
    String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
    if (!token.isEmpty()
        && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      Principal.BOOTSTRAP.attach(rc);
      rc.next();
      return;
    }
    if (AdminTokens.looksLikeOne(given) && context.storeEnabled()) {
      // The body waits while the token is looked up: the resource's BodyHandler reads (and resumes) it.
      rc.request().pause();
      context.entities().adminTokens().holder(AdminTokens.digest(given, settings.keys().hmacSecret()))
          .onComplete(ar -> {
            if (ar.failed()) {
              Replies.failure(rc, ar.cause());
            } else if (ar.result() == null) {
              unauthorized(rc);
            } else {
              AdminTokenStore.Holder h = ar.result();
              Principal.token(h.id(), h.role(), h.tenantId(), h.tenantName()).attach(rc);
              rc.next();
            }
          });
      return;
    }
    if (token.isEmpty() && given.isEmpty()) {
      Principal.LOOPBACK.attach(rc);
      rc.next();
      return;
    }
    unauthorized(rc);
  }

  private static void badRequest(RoutingContext rc) {
    if (rc.response().headWritten()) {
      return;
    }
    String why = rc.failure() == null ? null : rc.failure().getMessage();
    boolean host = why != null && (why.contains("'Host'") || why.contains(":authority"));
    Replies.error(rc, ApiException.invalid(java.util.List.of(host
        ? new io.sluice.config.FieldError("Host", "is required, as a valid host[:port], in an HTTP/1.1 request")
        : new io.sluice.config.FieldError("(request)", why == null ? "malformed request" : why))));
  }

  /** The body of a 408 (a request head or body too slow): the admin API's error shape. */
  private static String timedOut(String reason) {
    return new JsonObject().put("error", new JsonObject().put("status", 408).put("code", "request_timeout")
        .put("message", reason)).encode();
  }

  private static void unauthorized(RoutingContext rc) {
    rc.response().putHeader("WWW-Authenticate", "Bearer");
    json(rc, 401, new JsonObject().put("error", new JsonObject().put("status", 401).put("code", "unauthorized")
        .put("message", "a valid admin bearer token is required")));
  }

  /**
   * What a tenant token may reach: its tenant's entities and configuration; the rest is for operators.
   * Hook for certificates (edge branch): add "/certificates" here, its tenant query to EntityStore's
   * TENANT_OF, and run its CRUD through CrudHandler (or TenantScope), which then scopes it like the others.
   */
  private static final java.util.List<String> TENANT_PATHS = java.util.List.of("/services", "/routes", "/consumers",
      "/plugins", "/certificates", "/snis", "/tenants", "/config", "/openapi.yaml");

  private static void operatorOnly(RoutingContext rc) {
    if (Principal.of(rc).operator()) {
      rc.next();
      return;
    }
    // The path the router dispatches on (dot segments removed, %2e decoded), never the raw one: checked on the
    // raw path, /services/../admin-tokens passed as a service path and was routed to /admin-tokens.
    String path = rc.normalizedPath();
    for (String allowed : TENANT_PATHS) {
      if (path.equals(allowed) || path.startsWith(allowed + "/")) {
        rc.next();
        return;
      }
    }
    Replies.error(rc, 403, "forbidden", path + " needs an operator token");
  }

  static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  /** The admin API's OpenAPI document as served: openapi.yaml, entity schemas filled in ({@link OpenApiDocument}). */
  static Buffer openApiDocument() {
    return OpenApiDocument.load();
  }

  /** The router once started, so that a test can list every route it serves (see OpenApiCoverageTest). */
  Router router() {
    return router;
  }

  public int actualPort() {
    return server.actualPort();
  }
}
