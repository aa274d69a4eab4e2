package io.sluice.route;

/**
 * Request paths as routes see them, in one canonical form that is also exactly what the target gets, so
 * that no upstream can read a different request than the policies saw. Percent-encoded unreserved
 * characters are decoded (RFC 3986 2.3: {@code %61dmin} is {@code admin}; other escapes stay, their hex in
 * upper case), dot segments are removed after decoding (5.2.4: {@code /a/%2e%2e/b} is {@code /b}), and
 * repeated slashes are merged. What two servers could split differently is refused: an encoded slash,
 * backslash or NUL, a raw backslash, control bytes or bytes outside ASCII, a malformed escape, a path that
 * climbs above the root, and by default {@code ;} (path parameters, which some servers strip).
 */
public final class Paths {

  /** Why a request path is refused (answered 400). */
  public static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Paths() {}

  /** The canonical form with the defaults (slashes merged, no semicolons). */
  public static String canonical(String path) {
    return canonical(path, true, false);
  }

  /**
   * The canonical form of {@code path} (the request-target's path, as sent).
   *
   * @param mergeSlashes repeated slashes become one (otherwise they are refused)
   * @param semicolons whether {@code ;} may appear
   * @throws Refused when the path is ambiguous or malformed
   */
  public static String canonical(String path, boolean mergeSlashes, boolean semicolons) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      throw new Refused("the path must start with /");
    }
    if (plain(path, semicolons)) {
      return path; // most paths: one pass, nothing to change
    }
    StringBuilder decoded = new StringBuilder(path.length());
    int n = path.length();
    for (int i = 0; i < n; i++) {
      char c = path.charAt(i);
      if (c == '%') {
        if (i + 2 >= n || Character.digit(path.charAt(i + 1), 16) < 0 || Character.digit(path.charAt(i + 2), 16) < 0) {
          throw new Refused("malformed percent-encoding in the path");
        }
        int b = Character.digit(path.charAt(i + 1), 16) * 16 + Character.digit(path.charAt(i + 2), 16);
        i += 2;
        if (b == '/' || b == '\\' || b == 0) {
          throw new Refused("an encoded " + (b == '/' ? "slash" : b == 0 ? "NUL" : "backslash") + " in the path");
        }
        if (unreserved(b)) {
          decoded.append((char) b);
        } else {
          decoded.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
        }
        continue;
      }
      check(c, semicolons);
      decoded.append(c);
    }
    return removeDotSegments(decoded, mergeSlashes);
  }

  /** Whether {@code path} is already canonical: nothing to decode, merge or remove, and nothing refused. */
  private static boolean plain(String path, boolean semicolons) {
    char prev = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' || c == '.' && prev == '/' || c == '/' && prev == '/' || c == ';' || c == '\\'
          || c <= 0x20 || c >= 0x7f) {
        if (c == ';' && semicolons) {
          prev = c;
          continue;
        }
        if (c == '.' && !dotSegmentAt(path, i)) {
          prev = c;
          continue;
        }
        return false;
      }
      prev = c;
    }
    return true;
  }

  /** Whether the '.' at {@code i} (just after a slash) starts a "." or ".." segment. */
  private static boolean dotSegmentAt(String path, int i) {
    int end = path.indexOf('/', i);
    int len = (end < 0 ? path.length() : end) - i;
    return len == 1 || len == 2 && path.charAt(i + 1) == '.';
  }

  private static void check(char c, boolean semicolons) {
    if (c == '\\') {
      throw new Refused("a backslash in the path");
    }
    if (c == ';' && !semicolons) {
      throw new Refused("';' in the path (path parameters) is not accepted");
    }
    if (c <= 0x20 || c >= 0x7f) {
      throw new Refused("a control, space or non-ASCII byte in the path (it must be percent-encoded)");
    }
  }

  /** ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 2.3): decoding them never changes the meaning. */
  private static boolean unreserved(int b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.'
        || b == '_' || b == '~';
  }

  /** RFC 3986 5.2.4 on whole segments, with empty segments merged (or refused). */
  private static String removeDotSegments(CharSequence path, boolean mergeSlashes) {
    String[] in = path.toString().substring(1).split("/", -1);
    String[] out = new String[in.length];
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      String s = in[i];
      boolean last = i == in.length - 1;
      if (s.isEmpty() && !last) {
        if (!mergeSlashes) {
          throw new Refused("repeated slashes in the path");
        }
        continue;
      }
      if (s.equals(".")) {
        if (last) {
          out[n++] = "";
        }
      } else if (s.equals("..")) {
        if (n == 0) {
          throw new Refused("the path climbs above the root");
        }
        n--;
        if (last) {
          out[n++] = "";
        }
      } else {
        out[n++] = s;
      }
    }
    StringBuilder b = new StringBuilder(path.length());
    for (int i = 0; i < n; i++) {
      b.append('/').append(out[i]);
    }
    return b.length() == 0 ? "/" : b.toString();
  }
}
