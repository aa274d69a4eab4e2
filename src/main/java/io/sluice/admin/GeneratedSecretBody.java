package io.sluice.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The body of a POST that creates a secret Sluice generates (an API key, a stream token): absent, {@code {}}, or
 * naming only what the answer will say anyway. Anything else is refused with 400 naming each key rather than
 * ignored: a caller who sends a secret of its own, or names another owner, must not get a new one silently.
 */
final class GeneratedSecretBody {

  /** What one key of the body may be: the one value it must have (null: it is always refused) and why. */
  record Key(String required, String why) {

    /** A key that may name {@code value} (what the answer says), refused with {@code why} otherwise. */
    static Key mustBe(String value, String why) {
      return new Key(value, why);
    }

    /** A key the caller never gives, refused with {@code why}. */
    static Key refused(String why) {
      return new Key(null, why);
    }
  }

  private GeneratedSecretBody() {}

  /** Throws {@link ApiException#invalid} naming every key of the body that {@code keys} does not allow. */
  static void check(RoutingContext rc, Map<String, Key> keys) {
    if (rc.body() == null || rc.body().buffer() == null || rc.body().buffer().length() == 0) {
      return;
    }
    ObjectNode doc = Requests.body(rc);
    List<FieldError> errors = new ArrayList<>();
    doc.fields().forEachRemaining(e -> {
      Key key = keys.get(e.getKey());
      if (key == null) {
        errors.add(new FieldError(e.getKey(), "unknown key"));
      } else if (key.required() == null || !key.required().equals(e.getValue().asText(null))) {
        errors.add(new FieldError(e.getKey(), key.why()));
      }
    });
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
  }
}
