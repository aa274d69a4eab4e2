package io.sluice.config;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One path of a route, parsed from its declared form: {@code =/p} exact, {@code /users/{id}} template
 * (whole segments), {@code ~regex} (matched against the whole path), anything else a prefix of whole
 * segments ({@code /api} matches {@code /api} and {@code /api/x}, not {@code /apix}).
 */
public record PathPattern(Kind kind, String value, Pattern regex, String[] segments) {

  /** In the order a tie of priority is broken. */
  public enum Kind { EXACT, TEMPLATE, REGEX, PREFIX }

  public static PathPattern parse(String spec) {
    if (spec.startsWith("=")) {
      return new PathPattern(Kind.EXACT, spec.substring(1), null, null);
    }
    if (spec.startsWith("~")) {
      return new PathPattern(Kind.REGEX, spec.substring(1), Pattern.compile(spec.substring(1)), null);
    }
    if (spec.contains("{")) {
      return new PathPattern(Kind.TEMPLATE, spec, null, spec.substring(1).split("/", -1));
    }
    String prefix = spec.length() > 1 && spec.endsWith("/") ? spec.substring(0, spec.length() - 1) : spec;
    String[] segments = prefix.equals("/") ? new String[0] : prefix.substring(1).split("/", -1);
    return new PathPattern(Kind.PREFIX, prefix, null, segments);
  }

  /**
   * The longest route path: the default of proxy.max_initial_line_bytes (8 KiB, the limit most servers keep),
   * since a request line longer than that setting is answered 414 before any route is matched. A constant rather
   * than the node's setting: routes are one configuration for every node (PostgreSQL, or the same file), checked
   * where no node setting is at hand (a file, any node's admin API, a rollback), while the setting is each
   * node's own; following it would make one file valid on one node and refused (its routes rejected) on another.
   * A node with a lower setting answers 414 to the longer requests, one with a higher one serves paths up to this.
   */
  public static final int MAX_LENGTH = 8192;

  /** Why {@code spec} is not a valid path, or null when it is. */
  public static String problem(String spec) {
    if (spec.length() > MAX_LENGTH) {
      return "is longer than " + MAX_LENGTH + " characters, the longest route path (the default of"
          + " proxy.max_initial_line_bytes: a longer request line is answered 414 before any route is matched)";
    }
    if (spec.startsWith("~")) {
      try {
        Pattern.compile(spec.substring(1));
      } catch (PatternSyntaxException e) {
        return "invalid regex: " + e.getDescription();
      }
      // Matched against the same canonical path as the others: a non-ASCII character in it is never there.
      String regex = spec.substring(1);
      for (int i = 0; i < regex.length(); i++) {
        if (regex.charAt(i) > 0x7f) {
          return nonAscii(regex, i);
        }
      }
      return null;
    }
    String path = spec.startsWith("=") ? spec.substring(1) : spec;
    if (!path.startsWith("/")) {
      return "must start with /, =/ or ~";
    }
    if (path.contains("//") || path.contains("/./") || path.contains("/../") || path.endsWith("/..")
        || path.endsWith("/.")) {
      return "must be a normalized path (no empty, . or .. segments)";
    }
    if (spec.contains("{")) {
      if (spec.startsWith("=")) {
        return "an exact path cannot hold a {template}";
      }
      for (String seg : path.substring(1).split("/", -1)) {
        if (seg.contains("{") && !(seg.startsWith("{") && seg.endsWith("}") && seg.length() > 2
            && seg.indexOf('{', 1) < 0 && seg.indexOf('}') == seg.length() - 1)) {
          return "a template segment must be a whole {name}: '" + seg + "'";
        }
      }
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c == 0x7f || c == '?' || c == '#') {
        return forbidden(c, i);
      }
      if (c > 0x7f) {
        return nonAscii(path, i);
      }
      if (c == '%') {
        String why = escapeProblem(path, i);
        if (why != null) {
          return why;
        }
      }
    }
    return null;
  }

  /**
   * Why the character {@code c} at {@code i} is refused, naming it, what a path may hold and how to write it: a
   * request's path ends at a space, a '?' (the query) or a '#' (the fragment, never sent), and holds no control
   * character, so a route path holding one could never match; percent-encoded it does (route/Paths keeps the escape).
   */
  private static String forbidden(char c, int i) {
    String what = c == ' ' ? "a space" : c == '?' || c == '#' ? "'" + c + "'"
        : String.format("a control character (U+%04X)", (int) c);
    return what + " at " + i + " is not allowed: a path holds printable ASCII characters other than space, ? and #;"
        + " write it percent-encoded, as " + String.format("%%%02X", (int) c);
  }

  /**
   * Why the non-ASCII character at {@code i} of {@code path} never matches: the proxy refuses a raw non-ASCII byte
   * (400) and matches the percent-encoded UTF-8 (route/Paths).
   */
  private static String nonAscii(String path, int i) {
    String ch = new String(Character.toChars(path.codePointAt(i)));
    StringBuilder encoded = new StringBuilder();
    for (byte b : ch.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      encoded.append(String.format("%%%02X", b & 0xff));
    }
    return "non-ASCII characters never match (at " + i + "): requests carry them percent-encoded as UTF-8,"
        + " and are matched so; write '" + ch + "' as " + encoded;
  }

  /**
   * Why the escape at {@code i} means the path can never match, or null. Requests are matched in the proxy's
   * canonical form (route/Paths): an encoded slash, backslash or NUL is refused with 400, an unreserved
   * character (RFC 3986 2.3) is decoded, and other escapes are written with upper-case hex.
   */
  private static String escapeProblem(String path, int i) {
    int hi = i + 2 < path.length() ? Character.digit(path.charAt(i + 1), 16) : -1;
    int lo = hi < 0 ? -1 : Character.digit(path.charAt(i + 2), 16);
    if (lo < 0) {
      return "malformed percent-encoding at " + i;
    }
    int b = hi * 16 + lo;
    String escape = path.substring(i, i + 3);
    if (b == '/' || b == '\\' || b == 0) {
      return "can never match: the proxy refuses a request whose path holds " + escape + " (400)";
    }
    if (Character.isLetterOrDigit(b) && b < 0x80 || b == '-' || b == '.' || b == '_' || b == '~') {
      return "can never match: the proxy decodes " + escape + " to '" + (char) b + "' before matching; write '"
          + (char) b + "'";
    }
    if (!escape.equals(escape.toUpperCase(java.util.Locale.ROOT))) {
      return "can never match: requests are matched with upper-case escapes; write "
          + escape.toUpperCase(java.util.Locale.ROOT);
    }
    return null;
  }

  /** How specific the pattern is, to break ties between two prefixes or templates: longer wins. */
  public int specificity() {
    return value.length();
  }
}
