package io.sluice.util;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with full jitter: the delay before retry n is uniform in
 * [0, min(cap, base * 2^n)], so that retries from many clients spread out instead of stampeding.
 */
public record Backoff(long baseMs, long capMs) {

  public long delayMs(int retry) {
    long ceiling = Math.min(capMs, baseMs << Math.min(retry, 30));
    return ceiling <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
  }
}
