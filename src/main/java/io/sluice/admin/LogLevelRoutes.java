package io.sluice.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log levels at runtime, on the node that answers: {@code GET /logging} lists the loggers with a level of
 * their own, {@code PUT /logging/{logger}} with {@code {"level": "debug"}} sets one ({@code null} returns it
 * to its parent's). Not persisted: a restart goes back to log.level.
 */
final class LogLevelRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(LogLevelRoutes.class);
  private static final Pattern NAME = Pattern.compile("ROOT|[A-Za-z_$][A-Za-z0-9_$.-]{0,199}");
  private static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");

  private LogLevelRoutes() {}

  static void mount(Router router) {
    router.get("/logging").handler(LogLevelRoutes::list);
    router.get("/logging/:logger").handler(rc -> {
      try {
        Replies.json(rc, 200, describe(logger(rc)));
      } catch (ApiException e) {
        Replies.error(rc, e);
      }
    });
    router.put("/logging/:logger").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(LogLevelRoutes::set);
  }

  private static void list(RoutingContext rc) {
    JsonObject levels = new JsonObject();
    for (ch.qos.logback.classic.Logger l : context().getLoggerList()) {
      if (l.getLevel() != null) {
        levels.put(l.getName(), l.getLevel().toString().toLowerCase(Locale.ROOT));
      }
    }
    Replies.json(rc, 200, new JsonObject().put("levels", levels));
  }

  private static void set(RoutingContext rc) {
    try {
      ch.qos.logback.classic.Logger logger = logger(rc);
      ObjectNode body = Requests.body(rc);
      JsonNode level = body.get("level");
      if (level == null || !(level.isNull() || level.isTextual())) {
        throw ApiException.invalid(List.of(new FieldError("level",
            "required: one of " + String.join(", ", LEVELS) + ", or null to inherit")));
      }
      for (var it = body.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!f.equals("level")) {
          throw ApiException.invalid(List.of(new FieldError(f, "unknown field (only level)")));
        }
      }
      Level next = null;
      if (level.isTextual()) {
        String name = level.asText().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(name)) {
          throw ApiException.invalid(List.of(new FieldError("level",
              "'" + level.asText() + "' is not one of " + String.join(", ", LEVELS))));
        }
        next = Level.toLevel(name);
      } else if (logger.getName().equals(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
        throw ApiException.invalid(List.of(new FieldError("level", "the root logger cannot inherit: give a level")));
      }
      logger.setLevel(next);
      LOG.info("log level of {} set to {} through the admin API", logger.getName(), next);
      Replies.json(rc, 200, describe(logger));
    } catch (ApiException e) {
      Replies.error(rc, e);
    }
  }

  private static ch.qos.logback.classic.Logger logger(RoutingContext rc) {
    String name = rc.pathParam("logger");
    if (name == null || !NAME.matcher(name).matches()) {
      throw ApiException.invalid(List.of(new FieldError("logger",
          "a logger name (letters, digits, '.', '_', '$', '-'; up to 200) or ROOT")));
    }
    return context().getLogger(name);
  }

  private static JsonObject describe(ch.qos.logback.classic.Logger l) {
    return new JsonObject().put("logger", l.getName())
        .put("level", l.getLevel() == null ? null : l.getLevel().toString().toLowerCase(Locale.ROOT))
        .put("effective", l.getEffectiveLevel().toString().toLowerCase(Locale.ROOT));
  }

  private static LoggerContext context() {
    return (LoggerContext) LoggerFactory.getILoggerFactory();
  }
}
