package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.sluice.tracing.TracingControl;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracing at runtime, on the node that answers: {@code GET /tracing} says whether requests are traced and the
 * sampling; {@code PUT /tracing} with {@code {"enabled": true, "sample_per_million": 100000}} (either field) changes
 * them from the next request on. Not persisted: a restart goes back to the {@code tracing.*} settings.
 */
final class TracingRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(TracingRoutes.class);
  private static final long MILLION = 1_000_000;

  private TracingRoutes() {}

  static void mount(Router router, TracingControl control) {
    router.get("/tracing").handler(rc -> Replies.json(rc, 200, control.state()));
    router.put("/tracing").handler(BodyHandler.create(false).setBodyLimit(4096))
        .handler(rc -> set(rc, control));
  }

  private static void set(RoutingContext rc, TracingControl control) {
    try {
      ObjectNode body = Requests.body(rc);
      List<FieldError> errors = new ArrayList<>();
      Boolean enabled = null;
      Long perMillion = null;
      for (var it = body.fields(); it.hasNext(); ) {
        var field = it.next();
        JsonNode v = field.getValue();
        switch (field.getKey()) {
          case "enabled" -> {
            if (v.isBoolean()) {
              enabled = v.booleanValue();
            } else {
              errors.add(new FieldError("enabled", "true or false"));
            }
          }
          case "sample_per_million" -> {
            if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0 && v.longValue() <= MILLION) {
              perMillion = v.longValue();
            } else {
              errors.add(new FieldError("sample_per_million", "an integer from 0 to 1000000 (requests sampled per"
                  + " million when the client decided nothing)"));
            }
          }
          default -> errors.add(new FieldError(field.getKey(), "unknown field (enabled, sample_per_million)"));
        }
      }
      if (errors.isEmpty() && enabled == null && perMillion == null) {
        errors.add(new FieldError("(body)", "give enabled, sample_per_million or both"));
      }
      if (!errors.isEmpty()) {
        throw ApiException.invalid(errors);
      }
      control.set(enabled, perMillion);
      var state = control.state();
      LOG.info("tracing {} at {} per million through the admin API (not persisted)",
          state.getBoolean("enabled") ? "on" : "off", state.getLong("sample_per_million"));
      Replies.json(rc, 200, state);
    } catch (ApiException e) {
      Replies.error(rc, e);
    }
  }
}
