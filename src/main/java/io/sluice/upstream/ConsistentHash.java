package io.sluice.upstream;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A hash ring (ketama-style, virtual nodes in proportion to weight): the same key goes to the same target
 * while it is healthy, and removing a target moves only that target's keys. Lookup is a binary search.
 */
final class ConsistentHash implements LoadBalancer {

  /** Virtual nodes for a target of weight 100; enough for an even spread of a few dozen targets. */
  private static final int POINTS_PER_100 = 160;

  private final long[] points;
  private final Target[] owners;

  ConsistentHash(List<Target> targets) {
    int total = 0;
    for (Target t : targets) {
      total += pointsFor(t);
    }
    long[] hashes = new long[total];
    Target[] byIndex = new Target[total];
    Long[] order = new Long[total];
    int k = 0;
    for (Target t : targets) {
      for (int i = 0; i < pointsFor(t); i++) {
        hashes[k] = hash(t.address() + "#" + i);
        byIndex[k] = t;
        order[k] = ((long) k);
        k++;
      }
    }
    Arrays.sort(order, (a, b) -> Long.compare(hashes[a.intValue()], hashes[b.intValue()]));
    points = new long[total];
    owners = new Target[total];
    for (int i = 0; i < total; i++) {
      points[i] = hashes[order[i].intValue()];
      owners[i] = byIndex[order[i].intValue()];
    }
  }

  private static int pointsFor(Target t) {
    return t.weight() == 0 ? 0 : Math.max(1, t.weight() * POINTS_PER_100 / 100);
  }

  @Override
  public Target select(String hashKey, Target avoid) {
    if (points.length == 0) {
      return null;
    }
    long now = System.nanoTime();
    int i = Arrays.binarySearch(points, hash(hashKey == null ? "" : hashKey));
    if (i < 0) {
      i = -i - 1;
    }
    for (int pass = 0; pass < 2; pass++) {
      for (int step = 0; step < points.length; step++) {
        Target t = owners[(i + step) % points.length];
        if (LoadBalancer.usable(t, avoid, now, pass == 0)) {
          return t;
        }
      }
    }
    return LoadBalancer.lastResort(avoid, now);
  }

  /** FNV-1a 64 with a final avalanche (murmur3 fmix64), so neighbouring keys spread over the ring. */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
