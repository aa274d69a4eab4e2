package io.sluice.policy;

import java.util.List;

/** Query string surgery without decoding the parts that stay (so they go upstream byte for byte). */
public final class QueryStrings {

  private QueryStrings() {}

  /**
   * The query without every parameter named in {@code names}; {@code found[0]} gets the raw (still encoded)
   * value of the first one present.
   */
  public static String without(String query, List<String> names, String[] found) {
    StringBuilder kept = new StringBuilder(query.length());
    int start = 0;
    while (start <= query.length()) {
      int amp = query.indexOf('&', start);
      int end = amp < 0 ? query.length() : amp;
      String part = query.substring(start, end);
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      if (names.contains(name)) {
        if (found[0] == null) {
          found[0] = eq < 0 ? "" : part.substring(eq + 1);
        }
      } else if (!part.isEmpty()) {
        if (kept.length() > 0) {
          kept.append('&');
        }
        kept.append(part);
      }
      start = end + 1;
    }
    return kept.toString();
  }
}
