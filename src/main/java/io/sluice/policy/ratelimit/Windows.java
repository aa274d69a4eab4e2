package io.sluice.policy.ratelimit;

import java.util.ArrayList;
import java.util.List;

/** The windows of one rate-limiting plugin: period in seconds and limit, shortest first. */
record Windows(long[] periods, long[] limits, String[] suffixes) {

  static Windows of(RateLimitConfig c) {
    List<long[]> w = new ArrayList<>();
    List<String> s = new ArrayList<>();
    if (c.second() != null) {
      w.add(new long[] {1, c.second()});
      s.add("s");
    }
    if (c.minute() != null) {
      w.add(new long[] {60, c.minute()});
      s.add("m");
    }
    if (c.hour() != null) {
      w.add(new long[] {3600, c.hour()});
      s.add("h");
    }
    long[] periods = new long[w.size()];
    long[] limits = new long[w.size()];
    for (int i = 0; i < w.size(); i++) {
      periods[i] = w.get(i)[0];
      limits[i] = w.get(i)[1];
    }
    return new Windows(periods, limits, s.toArray(new String[0]));
  }

  int size() {
    return periods.length;
  }
}
