package io.sluice.stream.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * The optional server-side filters of a subscription: {@code route=NAME} and {@code status=} a list of
 * codes or classes ({@code 5xx}, {@code 404}, {@code 4xx,5xx}). A filtered-out record still moves the
 * subscriber's position, so a cursor resumes after it (and filters it out again).
 */
record Filters(String route, List<int[]> statuses) {

  static final Filters NONE = new Filters(null, List.of());

  /** Parses the query values (null when absent); throws IllegalArgumentException with the reason. */
  static Filters parse(String route, String status) {
    List<int[]> ranges = new ArrayList<>();
    if (status != null) {
      for (String s : status.split(",")) {
        String v = s.trim().toLowerCase();
        if (v.matches("[1-5]xx")) {
          int c = v.charAt(0) - '0';
          ranges.add(new int[] {c * 100, c * 100 + 99});
        } else if (v.matches("[1-5][0-9][0-9]")) {
          int code = Integer.parseInt(v);
          ranges.add(new int[] {code, code});
        } else {
          throw new IllegalArgumentException("status filter '" + s + "': use codes or classes such as 404,5xx");
        }
      }
    }
    if (route != null && route.isEmpty()) {
      throw new IllegalArgumentException("route filter is empty");
    }
    return new Filters(route, ranges);
  }

  boolean accepts(Ring.Item item) {
    if (route != null && !route.equals(item.route())) {
      return false;
    }
    if (statuses.isEmpty()) {
      return true;
    }
    for (int[] r : statuses) {
      if (item.status() >= r[0] && item.status() <= r[1]) {
        return true;
      }
    }
    return false;
  }
}
