package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rule for every string a user gives (an admin API body, a declarative file through PUT /config or as the
 * routes file): no NUL, no lone surrogate (PostgreSQL would refuse the first with a 500 and store the second as
 * '?'), and no other control character, C0, DEL or C1 (a CR/LF in a username or a header name would later break
 * every request that uses it; a C1 in a header value reaches the target as a raw byte), except in the fields that hold text blocks (PEM keys and certificates, which have line breaks).
 */
public final class InputStrings {

  /** Fields whose values are text blocks with line breaks. */
  private static final Set<String> MULTILINE = Set.of("public_key", "certificate", "chain", "private_key", "key",
      "ca", "ca_bundle", "pem", "cert");

  private InputStrings() {}

  /** Why {@code s} is refused, or null; {@code multiline} allows CR, LF and tab. */
  public static String problem(String s, boolean multiline) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return "must not contain NUL (\\u0000)";
      }
      if (Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(++i))
          : Character.isLowSurrogate(c)) {
        return "must not contain a lone surrogate (invalid Unicode)";
      }
      // C0, DEL and C1 (U+0080 to U+009F: 0x85 is NEL, 0x9B a terminal's CSI; Latin-1 sends them as raw bytes).
      if ((c < 0x20 || c >= 0x7f && c <= 0x9f) && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) {
        return "must not contain control characters (0x" + Integer.toHexString(c) + ")";
      }
    }
    return null;
  }

  /**
   * Every string and object key of a document, checked; the failing ones named by their path as every field
   * error names it ({@code consumers[0].username}, {@code routes[1].headers.X-A[0]}).
   */
  public static List<FieldError> check(JsonNode doc) {
    return check(doc, "");
  }

  /** {@link #check(JsonNode)} of a part of a document, its fields named under {@code path} ({@code routes[3]}). */
  public static List<FieldError> check(JsonNode part, String path) {
    List<FieldError> errors = new ArrayList<>();
    walk(part, path, false, errors);
    return errors;
  }

  private static void walk(JsonNode node, String path, boolean multiline, List<FieldError> errors) {
    if (node.isTextual()) {
      String why = problem(node.asText(), multiline);
      if (why != null) {
        errors.add(new FieldError(path.isEmpty() ? "(body)" : path, why));
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]", multiline, errors);
      }
    } else if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String field = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        String why = problem(e.getKey(), false);
        if (why != null) {
          errors.add(new FieldError(field, "name " + why));
          continue;
        }
        walk(e.getValue(), field, MULTILINE.contains(e.getKey()), errors);
      }
    }
  }
}
