package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules of the consumer fields that go upstream in {@code X-Consumer-*} headers (username, custom_id, groups),
 * as the admin API applies them on write: its schema ({@code entity-consumer.json}, whose limits and group pattern
 * are read from it here), {@link InputStrings} and one form of each name ({@link #formProblem}). A consumer
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
  /** Every character below it is its own NFC form (U+0300 is the first combining mark): no need to ask. */
  private static final int FIRST_NOT_NFC_STABLE = 0x300;

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
   * Why a username or custom_id is refused beyond its schema and {@link InputStrings}, or null. A consumer is
   * named by its username (and custom_id) code point by code point, case included (as Kong does: {@code Alice} and
   * {@code alice} are two consumers, and so are a full-width {@code ａｌｉｃｅ} and {@code alice}), so a name must have
   * one spelling of what it shows:
   * <ul>
   *   <li>Unicode NFC: {@code é} as one character, never {@code e} and a combining accent, which looks the same
   *   and would name another consumer;</li>
   *   <li>no white space or space separator at either end ({@link #space}: U+00A0 NO-BREAK SPACE and U+3000 too,
   *   which {@link String#strip} keeps or not): an HTTP header value is read without its leading and trailing
   *   spaces, so {@code " alice "} would reach the upstream as {@code alice}, another consumer's name;</li>
   *   <li>no invisible or line-breaking character anywhere ({@link #invisible}: control, format such as U+200B
   *   ZERO WIDTH SPACE or U+FEFF, line or paragraph separator), which a list or a log shows as nothing.</li>
   * </ul>
   * The reason names the character's code point, never the value.
   */
  public static String formProblem(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    if (space(s.codePointAt(0)) || space(s.codePointBefore(s.length()))) {
      return "must not begin or end with white space (an upstream reads X-Consumer-* headers without it)";
    }
    boolean plain = true;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      if (invisible(c)) {
        return String.format("must not contain U+%04X, an invisible or line-breaking character (control, format,"
            + " line or paragraph separator)", c);
      }
      plain &= c < FIRST_NOT_NFC_STABLE;
      i += Character.charCount(c);
    }
    if (!plain && !Normalizer.isNormalized(s, Normalizer.Form.NFC)) {
      return "must be in Unicode NFC form (an accented letter as one character, not a letter and a combining mark):"
          + " two forms of one name would name two consumers that look the same";
    }
    return null;
  }

  /** White space at the end of a username or custom_id ({@link #formProblem}): Java's white space and Unicode's spaces. */
  public static boolean space(int codePoint) {
    return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
  }

  /** A character a username or custom_id must not hold anywhere ({@link #formProblem}). */
  public static boolean invisible(int codePoint) {
    int type = Character.getType(codePoint);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR;
  }

  /** The rules beyond the schema of a consumer document (admin API or file), its fields named under {@code at}. */
  public static List<FieldError> checkDocument(JsonNode consumer, String at) {
    List<FieldError> errors = new ArrayList<>();
    for (String field : List.of("username", "custom_id")) {
      JsonNode v = consumer.path(field);
      String why = v.isTextual() ? formProblem(v.asText()) : null;
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
    return why != null ? why : formProblem(s);
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
