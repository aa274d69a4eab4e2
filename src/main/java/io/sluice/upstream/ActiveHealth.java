package io.sluice.upstream;

import io.sluice.config.ServiceDef;

/**
 * What the active health check of one node says about one target: out after {@code unhealthy_threshold}
 * failed probes in a row, back after {@code healthy_threshold} good ones. A target starts in service (a node
 * that just started or a service just configured serves at once; its first probes may take it out). Probes
 * record from one thread (the checker's); the proxy's event loops only read {@link #up()}.
 */
public final class ActiveHealth {

  private final int healthyThreshold;
  private final int unhealthyThreshold;
  private volatile boolean up = true;
  /** System.nanoTime() when it was last put back (0: never taken out): the start of its slow start. */
  private volatile long upSince;
  private volatile int successes;
  private volatile int failures;
  private volatile String last;
  private volatile long probes;

  public ActiveHealth(ServiceDef.HealthCheck check) {
    this.healthyThreshold = check.healthyThreshold();
    this.unhealthyThreshold = check.unhealthyThreshold();
  }

  /** Records one probe; true when it moved the target out of or back into service. */
  public boolean record(boolean ok, String detail, long now) {
    last = detail;
    probes++;
    if (ok) {
      failures = 0;
      successes = Math.min(successes + 1, healthyThreshold);
      if (!up && successes >= healthyThreshold) {
        upSince = now == 0 ? 1 : now;
        up = true;
        return true;
      }
    } else {
      successes = 0;
      failures = Math.min(failures + 1, unhealthyThreshold);
      if (up && failures >= unhealthyThreshold) {
        up = false;
        return true;
      }
    }
    return false;
  }

  public boolean up() { return up; }

  public long upSince() { return upSince; }

  public int successes() { return successes; }

  public int failures() { return failures; }

  /** The last probe's outcome ("200", "connect refused", ...), or null before the first. */
  public String last() { return last; }

  public long probes() { return probes; }
}
