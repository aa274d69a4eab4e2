package io.sluice.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;

/**
 * A value refused while a document is read (a YAML alias, a number out of range): the field it stands at, as
 * {@link FieldError} names it ({@code routes[1].headers.X-Env[0]}), and why, so the author is told where, never a
 * 500. A parse exception, so that whoever reads with {@link InputMappers} and catches Jackson's errors refuses it.
 */
public final class InputRefused extends JsonParseException {
  private final String field;
  private final String reason;

  InputRefused(JsonParser p, String field, String reason) {
    super(p, field + ": " + reason);
    this.field = field;
    this.reason = reason;
  }

  public FieldError error() {
    return new FieldError(field, reason);
  }

  /**
   * Where the parser stands, as {@code routes[1].headers.X-Env[0]} ("(document)" for the root); {@code t} is the
   * token just read (null while a value is being read: its context is the current one).
   */
  static String field(JsonParser p, JsonToken t) {
    JsonStreamContext ctx = p.getParsingContext();
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      ctx = ctx.getParent(); // the collection's own context is open already; it stands in its parent
    }
    StringBuilder path = new StringBuilder();
    for (; ctx != null && !ctx.inRoot(); ctx = ctx.getParent()) {
      if (ctx.inArray()) {
        path.insert(0, "[" + Math.max(ctx.getCurrentIndex(), 0) + "]");
      } else if (ctx.getCurrentName() != null) {
        path.insert(0, (ctx.getParent() != null && !ctx.getParent().inRoot() ? "." : "") + ctx.getCurrentName());
      }
    }
    return path.length() == 0 ? "(document)" : path.toString();
  }
}
