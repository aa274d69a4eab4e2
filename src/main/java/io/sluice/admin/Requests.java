package io.sluice.admin;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.sluice.config.IdFormNames;
import io.sluice.config.InputMappers;
import io.sluice.config.InputRefused;
import io.sluice.config.InputStrings;
import io.vertx.ext.web.RoutingContext;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Reading an admin request: ids, bodies and If-Match, each refusal an {@link ApiException} (lists: {@link Paging}). */
final class Requests {

  /** Rows per page when ?limit= is absent, and the most a page may hold (every list, {@link Paging}). */
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;
  /** Keys of an entity that the server owns: accepted in a body (so a GET can be PUT back) and ignored. */
  private static final List<String> READ_ONLY = List.of("id", "version", "updated_at", "created_at");
  private static final ObjectMapper JSON = InputMappers.json();

  private Requests() {}

  /** The id in the path; anything that is not a UUID cannot name an entity: 404. */
  static UUID id(RoutingContext rc, String param, String noun) {
    String raw = rc.pathParam(param);
    UUID id = uuid(raw);
    if (id == null) {
      throw ApiException.notFound(noun + " " + raw);
    }
    return id;
  }

  /**
   * Whether a path's {@code given} text is read as an id, never looked up as a name: an id's form, or a NUL, which no
   * name holds (PostgreSQL's text cannot: a lookup would fail, a 500).
   */
  static boolean readAsId(String given) {
    return IdFormNames.looksLikeId(given) || given.indexOf('\u0000') >= 0;
  }

  /** {@code text} as a UUID, or null when it is not one. */
  static UUID uuid(String text) {
    try {
      return text == null ? null : UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The body as a JSON object, read-only keys removed; every string in it checked ({@link InputStrings}). */
  static ObjectNode body(RoutingContext rc) {
    JsonNode doc;
    try {
      String text = rc.body() == null || rc.body().buffer() == null ? null : Strings.utf8(rc.body().buffer());
      doc = text == null || text.isBlank() ? null : JSON.readTree(text);
    } catch (InputRefused e) {
      FieldError at = e.error(); // a number out of range, named where it stands
      throw ApiException.invalid(List.of(at.field().equals("(document)") ? new FieldError("(body)", at.reason()) : at));
    } catch (JacksonException e) {
      throw ApiException.invalid(List.of(new FieldError("(body)",
          "not valid JSON" + InputMappers.where(e) + ": " + InputMappers.reason(e))));
    }
    if (!(doc instanceof ObjectNode obj)) {
      throw ApiException.invalid(List.of(new FieldError("(body)", "must be a JSON object")));
    }
    List<FieldError> bad = InputStrings.check(obj);
    if (!bad.isEmpty()) {
      throw ApiException.invalid(bad);
    }
    obj.remove(READ_ONLY);
    return obj;
  }

  static ObjectNode parse(String json) {
    try {
      ObjectNode obj = (ObjectNode) JSON.readTree(json);
      obj.remove(READ_ONLY);
      return obj;
    } catch (JacksonException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A whole document (POST, PUT) read as a PATCH reads its body: a merge patch, here of nothing, so that a null is
   * the key left out and the field takes its default on every write alike ({@code "hosts": null} is no hosts).
   */
  static ObjectNode document(RoutingContext rc) {
    return merge(JSON.createObjectNode(), body(rc));
  }

  /** RFC 7386 JSON merge patch: null removes a key, objects merge (into an empty one if need be), else replaces. */
  static ObjectNode merge(ObjectNode target, ObjectNode patch) {
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode current = target.get(e.getKey());
      if (e.getValue().isNull()) {
        target.remove(e.getKey());
      } else if (e.getValue() instanceof ObjectNode p) {
        target.set(e.getKey(), merge(current instanceof ObjectNode c ? c : JSON.createObjectNode(), p));
      } else {
        target.set(e.getKey(), e.getValue());
      }
    }
    return target;
  }

  /** If-Match {@code *} (RFC 9110 13.1.1: any current representation): the entity must exist, at any version. */
  static final long ANY_VERSION = Long.MIN_VALUE;
  private static final java.util.regex.Pattern VERSION_TAG =
      java.util.regex.Pattern.compile("(?:W/)?(\"?)([1-9][0-9]{0,17})\\1");

  /**
   * If-Match as a version: {@code 3}, {@code "3"} or {@code W/"3"} (the ETag we answer), {@code *} as
   * {@link #ANY_VERSION}; null when absent. Anything else (a list, a word, a number no version can reach) is
   * refused with 400 naming the header, never compared (it would answer 412 for a version nobody sent).
   */
  static Long ifMatch(RoutingContext rc) {
    String raw = rc.request().getHeader("If-Match");
    if (raw == null) {
      return null;
    }
    String v = raw.trim();
    if (v.equals("*")) {
      return ANY_VERSION;
    }
    java.util.regex.Matcher m = VERSION_TAG.matcher(v);
    if (!m.matches()) {
      throw ApiException.invalid(List.of(new FieldError("If-Match", "must be the entity's version as its ETag"
          + " gives it (\"3\", or 3), or * for any version; got '" + (v.length() > 64 ? v.substring(0, 64) + "…" : v)
          + "'")));
    }
    return Long.parseLong(m.group(2));
  }

  static long requireIfMatch(RoutingContext rc) {
    Long v = ifMatch(rc);
    if (v == null) {
      throw new ApiException(428, "precondition_required",
          "an update needs If-Match with the entity's version (its \"version\" field or ETag)");
    }
    return v;
  }
}
