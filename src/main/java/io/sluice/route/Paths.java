package io.sluice.route;

/**
 * Request paths as routes see them, in one canonical form that is also exactly what the target gets, so
 * that no upstream can read a different request than the policies saw. Percent-encoded unreserved
 * characters are decoded (RFC 3986 2.3: {@code %61dmin} is {@code admin}; other escapes stay, their hex in
 * upper case), dot segments are removed after decoding (5.2.4: {@code /a/%2e%2e/b} is {@code /b}), and
 * repeated slashes are merged. What two servers could split differently is refused: an encoded slash,
 * backslash or NUL, a raw backslash, control bytes or bytes outside ASCII, a malformed escape, escapes that
 * are not UTF-8, a path that climbs above the root, and by default {@code ;} (path parameters, which some
 * servers strip).
 */
public final class Paths {

  /** Why a request path is refused (answered 400). */
  public static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final String NOT_UTF8 = "percent-encoded bytes in the path that are not UTF-8";

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
    Utf8 utf8 = new Utf8();
    for (int i = 0; i < n; i++) {
      char c = path.charAt(i);
      if (c != '%' && utf8.pending()) {
        throw new Refused(NOT_UTF8);
      }
      if (c == '%') {
        if (i + 2 >= n || Character.digit(path.charAt(i + 1), 16) < 0 || Character.digit(path.charAt(i + 2), 16) < 0) {
          throw new Refused("malformed percent-encoding in the path");
        }
        int b = Character.digit(path.charAt(i + 1), 16) * 16 + Character.digit(path.charAt(i + 2), 16);
        i += 2;
        if (b == '/' || b == '\\' || b == 0) {
          throw new Refused("an encoded " + (b == '/' ? "slash" : b == 0 ? "NUL" : "backslash") + " in the path");
        }
        utf8.next(b);
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
    if (utf8.pending()) {
      throw new Refused(NOT_UTF8);
    }
    return removeDotSegments(decoded, mergeSlashes);
  }

  /**
   * The escaped bytes of a path read as UTF-8 (RFC 3629, Unicode table 3-7): an overlong form ({@code %c0%ae} for
   * '.'), a surrogate, a code point past U+10FFFF, a stray continuation byte or a cut sequence is refused, since
   * a target decoding leniently could read a different path (a dot segment) than the one matched.
   */
  private static final class Utf8 {
    private int need;
    private int lo = 0x80;
    private int hi = 0xBF;

    boolean pending() {
      return need > 0;
    }

    void next(int b) {
      if (need > 0) {
        if (b < lo || b > hi) {
          throw new Refused(NOT_UTF8);
        }
        need--;
        lo = 0x80;
        hi = 0xBF;
      } else if (b >= 0x80) {
        if (b >= 0xC2 && b <= 0xDF) {
          need = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
          need = 2;
          lo = b == 0xE0 ? 0xA0 : 0x80; // E0 80..9F would be overlong
          hi = b == 0xED ? 0x9F : 0xBF; // ED A0..BF would be a surrogate
        } else if (b >= 0xF0 && b <= 0xF4) {
          need = 3;
          lo = b == 0xF0 ? 0x90 : 0x80; // F0 80..8F would be overlong
          hi = b == 0xF4 ? 0x8F : 0xBF; // F4 90.. would pass U+10FFFF
        } else {
          throw new Refused(NOT_UTF8); // a continuation byte first, C0/C1 (overlong) or F5..FF
        }
      }
    }
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
