package io.sluice.policy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Query string surgery without decoding the parts that stay (so they go upstream byte for byte). */
public final class QueryStrings {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private QueryStrings() {}

  /**
   * The query without every parameter named in {@code names} (names compared decoded: {@link #name}); {@code
   * found[0]} gets the raw (still encoded) value of the first one present. Every other segment stays as sent, empty ones too ({@code a=1&&b=2}: some
   * targets read positions or sign the query string).
   */
  public static String without(String query, List<String> names, String[] found) {
    StringBuilder kept = new StringBuilder(query.length());
    boolean first = true;
    int start = 0;
    while (start <= query.length()) {
      int amp = query.indexOf('&', start);
      int end = amp < 0 ? query.length() : amp;
      String part = query.substring(start, end);
      int eq = part.indexOf('=');
      if (names.contains(name(part))) {
        if (found[0] == null) {
          found[0] = eq < 0 ? "" : part.substring(eq + 1);
        }
      } else {
        if (!first) {
          kept.append('&');
        }
        kept.append(part);
        first = false;
      }
      start = end + 1;
    }
    return kept.toString();
  }

  /**
   * A query segment's name as a target reads it: what is before its first {@code =} (or all of it), percent-decoded
   * with {@code +} as a space, as form and query decoders do. Compared decoded, {@code tr%61ce=1} is {@code trace}
   * (else a client could keep a parameter a policy takes out by spelling it another way); a name whose escapes do not
   * decode is compared as sent.
   */
  public static String name(String segment) {
    int eq = segment.indexOf('=');
    String raw = eq < 0 ? segment : segment.substring(0, eq);
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    try {
      return URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return raw;
    }
  }

  /**
   * {@code s} percent-encoded for a query: its UTF-8 bytes, every one but the unreserved characters of RFC 3986
   * (letters, digits, {@code -._~}) as {@code %XX}. A space is {@code %20}, never {@code +}, which only form
   * decoders read as a space.
   */
  public static String encode(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
          || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return b.toString();
  }
}
