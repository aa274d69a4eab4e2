package io.sluice.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How late an event loop runs what it was asked to run: a timer set every {@link #PERIOD_MS} on the loop,
 * and the time between when it should have fired and when it did. A blocked or overloaded loop shows here
 * before it shows in request latency. One probe per event loop, started from a verticle on that loop.
 */
public final class EventLoopDelay {

  public static final long PERIOD_MS = 100;
  private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);

  private final Vertx vertx;
  private final Timer delay;
  private volatile boolean stopped;

  private EventLoopDelay(Vertx vertx, Timer delay) {
    this.vertx = vertx;
    this.delay = delay;
  }

  /** Starts probing the calling event loop (call it from a verticle's start); the tag names the loop. */
  public static EventLoopDelay start(Vertx vertx, MeterRegistry registry) {
    Timer t = Timer.builder(Meters.EVENT_LOOP_DELAY)
        .description("How late the event loop ran a timer due every " + PERIOD_MS + " ms")
        .tags("loop", Thread.currentThread().getName())
        .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    EventLoopDelay probe = new EventLoopDelay(vertx, t);
    probe.schedule();
    return probe;
  }

  private void schedule() {
    long due = System.nanoTime() + PERIOD_NANOS;
    vertx.setTimer(PERIOD_MS, id -> {
      delay.record(Math.max(0, System.nanoTime() - due), TimeUnit.NANOSECONDS);
      if (!stopped) {
        schedule();
      }
    });
  }

  public void stop() {
    stopped = true;
  }
}
