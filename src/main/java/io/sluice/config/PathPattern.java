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

  /** Why {@code spec} is not a valid path, or null when it is. */
  public static String problem(String spec) {
    if (spec.startsWith("~")) {
      try {
        Pattern.compile(spec.substring(1));
        return null;
      } catch (PatternSyntaxException e) {
        return "invalid regex: " + e.getDescription();
      }
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
        return "invalid character at " + i;
      }
    }
    return null;
  }

  /** How specific the pattern is, to break ties between two prefixes or templates: longer wins. */
  public int specificity() {
    return value.length();
  }
}
