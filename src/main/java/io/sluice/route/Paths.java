package io.sluice.route;

/** Request paths as routes see them: dot segments removed (RFC 3986 5.2.4), so {@code /a/../b} is {@code /b}. */
public final class Paths {

  private Paths() {}

  /** The normalized path, or null when it climbs above the root or is not an origin-form path. */
  public static String normalize(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      return null;
    }
    if (path.indexOf("/.") < 0) {
      return path;
    }
    String[] in = path.substring(1).split("/", -1);
    String[] out = new String[in.length];
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      String s = in[i];
      boolean last = i == in.length - 1;
      if (s.equals(".")) {
        if (last) {
          out[n++] = "";
        }
      } else if (s.equals("..")) {
        if (n == 0) {
          return null;
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
