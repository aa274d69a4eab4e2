package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules of the consumer fields that go upstream in {@code X-Consumer-*} headers (username, custom_id, groups),
 * as the admin API applies them on write: its schema ({@code entity-consumer.json}, whose limits and group pattern
 * are read from it here), {@link InputStrings} and no white space at either end ({@link #edgeProblem}). A consumer
 * written with psql bypasses them all, so a node checks each consumer it is about to identify a request with
 * against the same rules ({@link #check}).
 */
public final class ConsumerFields {

  private static final JsonNode SCHEMA = Schemas.raw("entity-consumer").path("properties");
  private static final int USERNAME_MAX = SCHEMA.at("/username/maxLength").asInt();
  private static final int CUSTOM_ID_MAX = SCHEMA.at("/custom_id/maxLength").asInt();
  /** Groups of one consumer at most. */
  public static final int GROUPS_MAX = SCHEMA.at("/groups/maxItems").asInt();
  /**
   * A group name: letters, digits and {@code ._:-}, so never a comma (X-Consumer-Groups is a comma-separated list).
   * The same regex in Java and PostgreSQL (no construct their dialects read differently).
   */
  public static final String GROUP_PATTERN = SCHEMA.at("/groups/items/pattern").asText();
  private static final Pattern GROUP = Pattern.compile(GROUP_PATTERN);

  private ConsumerFields() {}

  /**
   * Every field of a stored consumer that the admin API would refuse, named as the API names it ({@code username},
   * {@code groups[1]}); empty when the consumer is fit to be sent upstream. The reasons name no value.
   */
  public static List<FieldError> check(String username, String customId, List<String> groups) {
    List<FieldError> errors = null;
    errors = add(errors, "username", text(username, USERNAME_MAX));
    if (customId != null) {
      errors = add(errors, "custom_id", text(customId, CUSTOM_ID_MAX));
    }
    if (groups.size() > GROUPS_MAX) {
      errors = add(errors, "groups", "must have at most " + GROUPS_MAX + " items");
    }
    // Past GROUPS_MAX (a row written with psql) the count is already refused: the first GROUPS_MAX are named.
    for (int i = 0, n = Math.min(groups.size(), GROUPS_MAX); i < n; i++) {
      String g = groups.get(i);
      String why = g == null ? "must be a string" : InputStrings.problem(g, false);
      if (why == null && !GROUP.matcher(g).find()) {
        why = "must match " + GROUP_PATTERN + " (a comma would split it in two in X-Consumer-Groups)";
      }
      if (why == null && before(groups, i, g)) {
        why = "the same group twice";
      }
      if (why != null) { // the field's name is made only for a problem: this runs on every authenticated request
        errors = add(errors, "groups[" + i + "]", why);
      }
    }
    return errors == null ? List.of() : errors;
  }

  /**
   * Why a username or custom_id is refused beyond its schema, or null: white space at its start or end
   * ({@link String#strip}'s). An HTTP header value is read without its leading and trailing spaces, so
   * {@code " alice "} would reach the upstream as {@code alice}, another consumer's name.
   */
  public static String edgeProblem(String s) {
    return s == null || s.strip().length() == s.length() ? null
        : "must not begin or end with white space (an upstream reads X-Consumer-* headers without it)";
  }

  /** The rules beyond the schema of a consumer document (admin API or file), its fields named under {@code at}. */
  public static List<FieldError> checkDocument(JsonNode consumer, String at) {
    List<FieldError> errors = new ArrayList<>();
    for (String field : List.of("username", "custom_id")) {
      JsonNode v = consumer.path(field);
      String why = v.isTextual() ? edgeProblem(v.asText()) : null;
      if (why != null) {
        errors.add(new FieldError(at + field, why));
      }
    }
    return errors;
  }

  private static String text(String s, int max) {
    if (s == null || s.isEmpty()) {
      return "must not be empty";
    }
    if (s.codePointCount(0, s.length()) > max) {
      return "must be at most " + max + " characters long";
    }
    String why = InputStrings.problem(s, false);
    return why != null ? why : edgeProblem(s);
  }

  /** Whether {@code g} is among the first {@code i} groups: at most GROUPS_MAX, mostly a few, so no set per request. */
  private static boolean before(List<String> groups, int i, String g) {
    for (int j = 0; j < i; j++) {
      if (g.equals(groups.get(j))) {
        return true;
      }
    }
    return false;
  }

  private static List<FieldError> add(List<FieldError> errors, String field, String why) {
    if (why == null) {
      return errors;
    }
    List<FieldError> out = errors == null ? new ArrayList<>() : errors;
    out.add(new FieldError(field, why));
    return out;
  }
}
