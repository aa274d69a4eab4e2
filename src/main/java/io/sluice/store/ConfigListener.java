package io.sluice.store;

import io.sluice.util.Backoff;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The doorbell of configuration changes: LISTENs on {@value #CHANNEL} and calls the catch-up callback on
 * every notification, on every (re)connect (a NOTIFY sent while disconnected is lost, so whatever was
 * committed meanwhile must be read from the change log) and when the heartbeat sees a version no
 * notification announced. The callback runs on this listener's context; calls can come in bursts, so the
 * callback should coalesce them (one catch-up in flight, run again if rung meanwhile).
 *
 * <p>The heartbeat queries the current version on the listening connection itself: a connection that went
 * half-open raises no error on its own, so an unanswered heartbeat closes it and the listener reconnects.
 *
 * <p>Reconnection is this class's own loop, one fresh {@link PgSubscriber} per connection, with capped
 * exponential backoff and full jitter. PgSubscriber's own reconnect policy is not used: it does not apply
 * when the very first connect fails (and that subscriber can then never connect again), and a close during
 * its backoff does not prevent the connect that follows. One loop serves boot and reconnects alike.
 */
public final class ConfigListener {

  /** The channel the configuration triggers notify; the payload is the committed version. */
  public static final String CHANNEL = "sluice_config";
  /** How the listening connection shows in pg_stat_activity. */
  public static final String APPLICATION_NAME = "sluice-config-listener";

  private static final Logger LOG = LoggerFactory.getLogger(ConfigListener.class);

  /**
   * How often the heartbeat asks and how long it waits, how long a connect may take until LISTEN is in
   * place (TCP, authentication and LISTEN together: a connect that hangs is given up), and the backoff
   * between attempts.
   */
  public record Timing(long heartbeatMs, long heartbeatTimeoutMs, long connectTimeoutMs, Backoff reconnect) {

    /**
     * Heartbeat every 2 s, answered within 3 s: a silent connection is replaced within about 5 s. Connect
     * within 5 s. Reconnect after 0 to 100 ms, the ceiling doubling to 5 s: back at once after a backend is
     * killed, gentle on a database that is down for long.
     */
    public static final Timing DEFAULT = new Timing(2_000, 3_000, 5_000, new Backoff(100, 5_000));
  }

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final Timing timing;
  private final Handler<Wakeup> catchUp;
  private final Promise<Void> started = Promise.promise();
  private volatile boolean connected;
  private Context context;

  // Touched only on context.
  private PgSubscriber current;
  private boolean stopped;
  private int failures;
  private long retryTimer = -1;
  private long connectTimer = -1;
  private long heartbeatTimer = -1;
  private boolean heartbeatInFlight;
  private long highestSeen = Wakeup.UNKNOWN;

  public ConfigListener(Vertx vertx, PgConnectOptions options, Handler<Wakeup> catchUp) {
    this(vertx, options, Timing.DEFAULT, catchUp);
  }

  public ConfigListener(Vertx vertx, PgConnectOptions options, Timing timing, Handler<Wakeup> catchUp) {
    this.vertx = vertx;
    this.timing = timing;
    this.catchUp = catchUp;
    Map<String, String> properties = new HashMap<>(options.getProperties());
    properties.put("application_name", APPLICATION_NAME);
    this.options = new PgConnectOptions(options).setProperties(properties);
  }

  /**
   * Starts listening. The future completes once LISTEN is first in place; until then (database down at
   * boot) the listener keeps trying, and it fails only if the listener is stopped first.
   */
  public synchronized Future<Void> start() {
    if (context == null) {
      context = vertx.getOrCreateContext();
      context.runOnContext(v -> {
        heartbeatTimer = vertx.setPeriodic(timing.heartbeatMs(), id -> heartbeat());
        connect();
      });
    }
    return started.future();
  }

  /** True while LISTEN is in place on a connection that has not been found dead. */
  public boolean connected() {
    return connected;
  }

  /** Stops listening for good and closes the connection. */
  public synchronized Future<Void> stop() {
    if (context == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      connected = false;
      vertx.cancelTimer(heartbeatTimer);
      vertx.cancelTimer(retryTimer);
      vertx.cancelTimer(connectTimer);
      started.tryFail("configuration listener stopped before it connected");
      PgSubscriber s = current;
      current = null;
      (s == null ? Future.<Void>succeededFuture() : s.close()).onComplete(ar -> closed.complete());
    });
    return closed.future();
  }

  private void connect() {
    if (stopped) {
      return;
    }
    PgSubscriber s = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> -1L);
    current = s;
    LOG.debug("configuration listener connecting to {}:{}", options.getHost(), options.getPort());
    s.channel(CHANNEL).handler(this::onNotification).subscribeHandler(v -> onSubscribed(s));
    s.closeHandler(v -> lost(s, "connection closed"));
    connectTimer = vertx.setTimer(timing.connectTimeoutMs(), id -> {
      if (s == current && !connected) {
        lost(s, "not listening after " + timing.connectTimeoutMs() + " ms");
      }
    });
    s.connect().onComplete(ar -> {
      if (s != current) {
        discard(s);
      } else if (ar.failed()) {
        lost(s, ar.cause().toString());
      }
    });
  }

  private void onSubscribed(PgSubscriber s) {
    if (s != current) {
      discard(s);
      return;
    }
    PgConnection conn = s.actualConnection();
    if (conn != null) {
      // The close that follows an error is what counts (it reconnects); keep the error out of stderr.
      conn.exceptionHandler(err -> LOG.debug("configuration listener connection error", err));
    }
    vertx.cancelTimer(connectTimer);
    failures = 0;
    connected = true;
    started.tryComplete();
    LOG.info("configuration listener: LISTEN {} (backend pid {})", CHANNEL, conn == null ? "?" : conn.processId());
    version(conn).onComplete(ar -> {
      long v = ar.succeeded() ? ar.result() : Wakeup.UNKNOWN;
      highestSeen = Math.max(highestSeen, v);
      wake(Wakeup.Cause.CONNECTED, v);
    });
  }

  private void onNotification(String payload) {
    long v;
    try {
      v = Long.parseLong(payload.trim());
    } catch (NumberFormatException e) {
      v = Wakeup.UNKNOWN;  // someone rang by hand: still a reason to look
    }
    highestSeen = Math.max(highestSeen, v);
    wake(Wakeup.Cause.NOTIFIED, v);
  }

  private void heartbeat() {
    PgSubscriber s = current;
    PgConnection conn = s == null ? null : s.actualConnection();
    if (!connected || heartbeatInFlight || conn == null) {
      return;
    }
    heartbeatInFlight = true;
    long deadline = vertx.setTimer(timing.heartbeatTimeoutMs(), id -> {
      if (s == current) {
        lost(s, "no heartbeat answer within " + timing.heartbeatTimeoutMs() + " ms");
      }
    });
    version(conn).onComplete(ar -> {
      vertx.cancelTimer(deadline);
      if (s != current) {
        return;
      }
      heartbeatInFlight = false;
      if (ar.failed()) {
        lost(s, "heartbeat failed: " + ar.cause());
      } else if (ar.result() > highestSeen) {
        highestSeen = ar.result();
        wake(Wakeup.Cause.HEARTBEAT, ar.result());
      }
    });
  }

  /** The connection {@code s} is no longer usable: drop it and schedule the next attempt. */
  private void lost(PgSubscriber s, String why) {
    if (s != current) {
      return;
    }
    current = null;
    connected = false;
    heartbeatInFlight = false;
    vertx.cancelTimer(connectTimer);
    discard(s);
    if (stopped) {
      return;
    }
    long delay = Math.max(1, timing.reconnect().delayMs(failures++));  // full jitter can draw 0; a timer needs 1
    LOG.warn("configuration listener lost ({}); attempt {} in {} ms", why, failures, delay);
    retryTimer = vertx.setTimer(delay, id -> connect());
  }

  /** Closes a subscriber and its connection, even one that connected after it was given up. */
  private static void discard(PgSubscriber s) {
    s.close();
    PgConnection conn = s.actualConnection();
    if (conn != null) {
      conn.close();
    }
  }

  private static Future<Long> version(PgConnection conn) {
    if (conn == null) {
      return Future.failedFuture("no connection");
    }
    return conn.query(ConfigStore.VERSION).execute().map(ConfigStore::single);
  }

  private void wake(Wakeup.Cause cause, long version) {
    if (stopped) {
      return;
    }
    try {
      catchUp.handle(new Wakeup(cause, version));
    } catch (RuntimeException e) {
      LOG.error("configuration catch-up callback failed on {}", cause, e);
    }
  }
}
