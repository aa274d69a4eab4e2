package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.sluice.config.ConfigException;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import io.sluice.config.IdFormNames;
import io.sluice.config.InputMappers;
import io.sluice.config.InputStrings;
import io.sluice.config.ServiceDef;
import io.sluice.config.Tenants;
import io.sluice.config.ConsumerEntry;
import io.sluice.store.ConfigDiff;
import io.sluice.store.FileRefusalException;
import io.sluice.store.MissingSecretException;
import io.sluice.store.TakeoverException;
import io.sluice.store.Snapshot;
import io.sluice.store.SqlStates;
import io.sluice.store.StoredConfigInvalidException;
import io.sluice.store.TooManyConsumersException;
import io.sluice.store.VersionUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The declarative endpoint of the admin API. GET /config exports the whole configuration in the format of
 * conf/routes.yaml (YAML, or JSON by Accept); PUT /config validates a whole file and applies it to
 * PostgreSQL as one diffed transaction ({@code ?dry_run=true} computes the diff and writes nothing).
 * Both answer {@code Sluice-Config-Version}. In file mode (no pg.url) GET exports what the node serves and
 * PUT answers 503 {@code store_disabled}.
 */
final class ConfigRoutes {

  static final String VERSION_HEADER = "Sluice-Config-Version";
  /** Largest declarative file accepted: about 20,000 routes, far beyond any real gateway. */
  static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(ConfigRoutes.class);
  static final ObjectMapper JSON = InputMappers.json().enable(SerializationFeature.INDENT_OUTPUT);
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

  private ConfigRoutes() {}

  static void mount(Router router, AdminContext context) {
    router.get("/config").handler(rc -> export(rc, context));
    router.put("/config").handler(BodyHandler.create(false).setBodyLimit(MAX_FILE_BYTES))
        .handler(rc -> apply(rc, context));
  }

  private static void export(RoutingContext rc, AdminContext context) {
    boolean json = wantsJson(rc.request().getHeader("Accept"));
    ObjectMapper mapper = json ? JSON : YAML;
    String type = json ? "application/json" : "application/yaml";
    Principal p = Principal.of(rc);
    String at = rc.queryParams().get("version");
    if (at != null || context.storeEnabled()) {
      // From PostgreSQL (as it was at an earlier version when asked: rebuilt from the history), the consumers
      // streamed from a cursor as the answer is written: memory does not grow with their number.
      Long version;
      try {
        version = at == null ? null : HistoryRoutes.version(at, "version");
        if (!context.storeEnabled()) {
          throw RollbackRoutes.storeDisabled();
        }
      } catch (ApiException e) {
        Replies.error(rc, e);
        return;
      }
      context.store().exportFile(p.operator() ? null : p.tenantId(), version,
              snapshot -> ExportBody.start(context.vertx(), rc.response(), mapper, snapshot, type,
                  context.settings().admin().idleTimeoutS() * 1000L, p.operator()))
          .onFailure(err -> {
            if (!rc.response().headWritten() && err instanceof StoredConfigInvalidException invalid) {
              storedInvalid(rc, invalid);
            } else if (!rc.response().headWritten()) {
              fail(rc, err);
            } else if (!rc.response().ended()) {
              // The head went out with 200: only closing the connection tells the client the file is cut short.
              LOG.warn("GET /config: the export stopped after its answer started: {}", err.getMessage());
              rc.response().reset();
            }
          });
      return;
    }
    GatewayConfig served = context.servedConfig().get();
    Future<Snapshot> source = served == null ? Future.failedFuture(new VertxException("no configuration loaded yet", true))
        : Future.succeededFuture(new Snapshot(context.appliedVersion().getAsLong(), served));
    source.compose(snapshot -> context.vertx().executeBlocking(
            () -> mapper.writeValueAsString(snapshot.config().sorted()), false)
            .onSuccess(text -> rc.response().setStatusCode(200)
                .putHeader(VERSION_HEADER, Long.toString(snapshot.version()))
                .putHeader("Content-Type", type)
                .end(text)))
        .onFailure(err -> fail(rc, err));
  }

  private static void apply(RoutingContext rc, AdminContext context) {
    if (!context.storeEnabled()) {
      error(rc, 503, "store_disabled", "this node serves its routes file (no pg.url): set pg.url"
          + " (SLUICE_PG_URL) to apply configuration through the admin API, or edit the routes file and restart");
      return;
    }
    try {
      ClusterRoutes.checkWait(rc);
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    boolean dryRun = "true".equalsIgnoreCase(rc.queryParams().get("dry_run"));
    String type = rc.request().getHeader("Content-Type");
    boolean json = type != null && type.toLowerCase().contains("json");
    String body;
    try {
      body = rc.body() == null || rc.body().buffer() == null ? "" : Strings.utf8(rc.body().buffer());
      String why = InputStrings.problem(body, true);
      if (why != null) {
        throw ApiException.invalid(java.util.List.of(new FieldError("(body)", why)));
      }
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    Principal p = Principal.of(rc);
    context.vertx().executeBlocking(() -> FileKeys.check(ownTenant(DeclarativeConfig.parse(body, json), p),
            context.settings()), false)
        .compose(config -> context.store()
            .applyConfig(config, dryRun, p.operator() ? null : p.tenantId(), p.actor("apply"),
                context.settings().keys().hmacSecret())
            .recover(err -> Future.failedFuture(err instanceof ConfigException
                ? new IllegalStateException("the stored configuration is invalid: " + err.getMessage(), err) : err)))
        .onSuccess(result -> answer(rc, result, dryRun, new JsonObject()))
        .onFailure(err -> fail(rc, err));
  }

  /** The answer of an apply (and of a rollback, with {@code extra} fields): the diff, once nodes applied it. */
  static void answer(RoutingContext rc, ConfigDiff.Result result, boolean dryRun, JsonObject extra) {
    ClusterRoutes.answerWritten(rc, dryRun ? 0 : result.version(), rejected -> {
      JsonArray changes = new JsonArray();
      result.changes().forEach(c -> {
        JsonObject change = new JsonObject().put("entity", c.entity()).put("name", c.name()).put("op", c.op());
        if (!c.fields().isEmpty()) {
          JsonArray fields = new JsonArray();
          c.fields().forEach(f -> fields.add(new JsonObject().put("field", f.field())
              .put("old", json(f.old())).put("new", json(f.now()))));
          change.put("fields", fields);
        }
        changes.add(change);
      });
      rc.response().putHeader(VERSION_HEADER, Long.toString(result.version()));
      JsonObject answer = new JsonObject().put("dry_run", dryRun)
          .put("created", result.count("create")).put("updated", result.count("update"))
          .put("deleted", result.count("delete")).put("version", result.version()).put("changes", changes)
          .mergeIn(extra);
      if (!result.keys().isEmpty()) {
        // The keys the apply generated, this once: never stored, never logged, never cached on the way.
        JsonArray keys = new JsonArray();
        result.keys().forEach(k -> keys.add(new JsonObject().put("consumer", k.consumer()).put("prefix", k.prefix())
            .put("key", k.key())));
        answer.put("generated_keys", keys);
        rc.response().putHeader("Cache-Control", "no-store");
      }
      if (rejected != null && !rejected.isEmpty()) {
        answer.put("rejected", rejected);
      }
      AdminVerticle.json(rc, 200, answer);
    });
  }

  /**
   * With a tenant token, the file is that tenant's part: a service or consumer that names no tenant is the
   * token's, one that names another tenant is refused naming the field (nothing applied). With any token, a
   * service, route or certificate named with the form of an id is refused ({@link IdFormNames}).
   */
  static GatewayConfig ownTenant(GatewayConfig config, Principal p) {
    List<FieldError> idNames = IdFormNames.inFile(config);
    if (!idNames.isEmpty()) {
      throw new ConfigException(idNames);
    }
    if (p.operator()) {
      return tenantNames(config);
    }
    List<FieldError> errors = new java.util.ArrayList<>();
    List<ServiceDef> services = new java.util.ArrayList<>();
    for (int i = 0; i < config.services().size(); i++) {
      ServiceDef s = config.services().get(i);
      if (s.tenant() != null && !p.owns(s.tenant())) {
        errors.add(new FieldError("services[" + i + "].tenant", "not this token's tenant (" + p.tenantName()
            + "): a tenant token applies its own tenant's services only"));
      }
      services.add(s.withTenant(p.tenantName()));
    }
    List<ConsumerEntry> consumers = config.hasConsumers() ? new java.util.ArrayList<>() : null;
    for (int i = 0; consumers != null && i < config.consumers().size(); i++) {
      ConsumerEntry c = config.consumers().get(i);
      if (c.tenant() != null && !p.owns(c.tenant())) {
        errors.add(new FieldError("consumers[" + i + "].tenant", "not this token's tenant (" + p.tenantName()
            + "): a tenant token applies its own tenant's consumers only"));
      }
      consumers.add(c.withTenant(p.tenantName()));
    }
    if (config.hasPlugins()) {
      errors.add(new FieldError("plugins", "a tenant token's file carries services, routes and consumers only:"
          + " plugins are applied with an operator token"));
    }
    if (config.hasCertificates()) {
      errors.add(new FieldError("certificates", "a tenant token's file carries services, routes and consumers"
          + " only: certificates are applied with an operator token"));
    }
    if (config.hasTenants()) {
      errors.add(new FieldError("tenants", "a tenant token's file carries services, routes and consumers only:"
          + " the host names assigned to tenants are set with an operator token"));
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new GatewayConfig(config.formatVersion(), services, config.routes(), List.of(), consumers);
  }

  /**
   * An operator's file names tenants into being (one a service or consumer names is created when missing):
   * a name of the form of an id is refused naming the field ({@link Tenants#problem}). A tenant token's
   * file names its own tenant only, which exists.
   */
  private static GatewayConfig tenantNames(GatewayConfig config) {
    List<FieldError> errors = Tenants.inFile(config);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return config;
  }

  /** A Jackson value as a Vert.x JSON value (null stays null). */
  private static Object json(JsonNode node) {
    return node == null ? null : io.vertx.core.json.Json.decodeValue(node.toString());
  }

  /** JSON when Accept names it before (or without) YAML; YAML otherwise, including no Accept at all. */
  static boolean wantsJson(String accept) {
    if (accept == null) {
      return false;
    }
    String a = accept.toLowerCase();
    int json = a.indexOf("json");
    int yaml = a.indexOf("yaml");
    return json >= 0 && (yaml < 0 || json < yaml);
  }

  static void fail(RoutingContext rc, Throwable err) {
    if (err instanceof ApiException e) {
      Replies.error(rc, e);
      return;
    }
    if (err instanceof StoredConfigInvalidException invalid) { // a rollback's version holds rows a file refuses
      storedInvalid(rc, invalid);
      return;
    }
    if (err instanceof MissingSecretException missing) {
      AdminVerticle.json(rc, 409, new JsonObject().put("error", new JsonObject().put("status", 409)
          .put("code", "secret_gone").put("message", missing.getMessage())
          .put("missing", new JsonArray(missing.missing()))));
      return;
    }
    if (err instanceof TakeoverException taken) {
      Replies.error(rc, new ApiException(taken.status(), taken.code(), taken.getMessage(), taken.fields()));
      return;
    }
    if (err instanceof FileRefusalException refused) {
      Replies.error(rc, new ApiException(refused.status(), refused.code(), refused.getMessage(),
          refused.fields()));
      return;
    }
    if (err instanceof TooManyConsumersException tooMany) {
      error(rc, 422, "too_many_consumers", tooMany.getMessage());
      return;
    }
    if (err instanceof VersionUnavailableException gone) {
      error(rc, gone.future() ? 404 : 410, gone.future() ? "not_found" : "gone", gone.getMessage());
      return;
    }
    if (err instanceof ConfigException invalid) {
      JsonArray fields = new JsonArray();
      invalid.errors().forEach(e -> fields.add(new JsonObject().put("field", e.field()).put("reason", e.reason())));
      AdminVerticle.json(rc, 400, new JsonObject().put("error", new JsonObject().put("status", 400)
          .put("code", "invalid").put("message", invalid.errors().size() + " invalid field(s); nothing applied")
          .put("fields", fields)));
      return;
    }
    String state = SqlStates.of(err);
    if (SqlStates.FOREIGN_KEY_VIOLATION.equals(state)) {
      String why = SqlStates.inUse(err);
      error(rc, 409, "conflict", "nothing applied: " + (why.startsWith("it ")
          ? "an entity the file deletes " + why.substring(3) : why));
    } else if (SqlStates.UNIQUE_VIOLATION.equals(state)) {
      error(rc, 409, "conflict", "nothing applied: a name (or key) in the file is already taken");
    } else if (SqlStates.refusal(err, true) != null) {
      FieldError refused = SqlStates.refusal(err, true);
      AdminVerticle.json(rc, 400, new JsonObject().put("error", new JsonObject().put("status", 400)
          .put("code", "invalid").put("message", "refused by the database; nothing applied")
          .put("fields", new JsonArray().add(new JsonObject().put("field", refused.field())
              .put("reason", refused.reason())))));
    } else if (state == null && unreachable(err)) {
      error(rc, 503, "store_unavailable", "the configuration store cannot be reached: " + err.getMessage());
    } else {
      LOG.error("/config failed", err);
      error(rc, 500, "internal", "internal error: " + err.getMessage());
    }
  }

  /**
   * Rows in PostgreSQL that break the declarative rules (written with psql): a known state, not a bug and not the
   * caller's 400, so 409 {@code stored_config_invalid} with each row and field; the export never leaves a row out
   * (a backup that deletes it when applied again) nor writes one that cannot be applied.
   */
  private static void storedInvalid(RoutingContext rc, StoredConfigInvalidException e) {
    JsonArray fields = new JsonArray();
    for (StoredConfigInvalidException.Problem p : e.problems()) {
      fields.add(new JsonObject().put("entity", p.entity()).put("name", p.name()).put("field", p.error().field())
          .put("reason", p.error().reason()));
    }
    AdminVerticle.json(rc, 409, new JsonObject().put("error", new JsonObject().put("status", 409)
        .put("code", "stored_config_invalid").put("message", e.getMessage()).put("fields", fields)));
  }

  /** A connection refused, closed or timed out, rather than a bug: the store is down or unreachable. */
  private static boolean unreachable(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof IOException || t instanceof TimeoutException || t instanceof VertxException) {
        return true;
      }
    }
    return false;
  }

  private static void error(RoutingContext rc, int status, String code, String message) {
    AdminVerticle.json(rc, status, new JsonObject().put("error", new JsonObject().put("status", status)
        .put("code", code).put("message", message)));
  }
}
