package io.sluice.store;

import io.netty.channel.EventLoopGroup;
import io.sluice.util.Backoff;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.VertxThreadFactory;
import io.vertx.core.spi.transport.Transport;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's PostgreSQL session for sync leadership. Every node keeps one: it waits for a session-level
 * advisory lock ({@link #LOCK_KEY}); the node that holds it is the sync leader, LISTENs on the same session
 * and calls {@code wake} on every notification, on taking the lead (anything may have been committed while
 * nobody listened) and when the heartbeat sees a version no notification announced. The lock dies with the
 * session: a leader killed with kill -9, or whose backend is terminated, frees it and a waiting node takes it
 * within milliseconds.
 *
 * <p>Half-open connections: the leader heartbeats (a query on the session every 2 s, answered within 3 s)
 * and a candidate's lock wait ends every 2 s (lock_timeout) and is re-issued, so a silent connection is
 * dropped within about 5 s either way; the server side is bounded by idle_session_timeout and TCP
 * keepalives so a vanished leader's lock does not outlive it for long. Reconnects back off with capped
 * full jitter.
 */
public final class LeaderSession {

  /** The advisory lock of sync leadership of the default cluster (per database); see {@link #lockKey}. */
  public static final long LOCK_KEY = 0x511C_E5AFL;

  /**
   * The lock of one cluster's leadership: one per cluster name, so that several clusters may share a
   * database; a node without cluster settings is a cluster of its own (its node id), so that two single
   * nodes on one database both lead, each for itself, instead of one waiting forever behind the other.
   */
  public static long lockKey(boolean clustered, String clusterName, String nodeId) {
    if (clustered && "sluice".equals(clusterName)) {
      return LOCK_KEY;
    }
    String id = clustered ? "cluster:" + clusterName : "node:" + nodeId;
    long h = 1125899906842597L;
    for (int i = 0; i < id.length(); i++) {
      h = 31 * h + id.charAt(i);
    }
    return h;
  }

  /** The channel the configuration triggers NOTIFY (quoted when LISTENed: channel names are case-sensitive). */
  public static final String CHANNEL = "sluice_config";
  /** The application_name of leader sessions, so that operators (and tests) can find them in pg_stat_activity. */
  public static final String APPLICATION_NAME = "sluice-config-listener";

  private final long lockKey;

  private static final Logger LOG = LoggerFactory.getLogger(LeaderSession.class);

  /** What a leader session reports. Called on the session's context. */
  public interface Listener {
    void leadership(boolean leader);

    void wake(Wakeup wakeup);
  }

  /**
   * Heartbeat period and answer deadline, how long one lock wait lasts before it is re-issued, connect
   * deadline, and reconnect backoff (0 to 100 ms at first: back at once after a backend is killed; up to
   * 5 s: gentle on a database that is down).
   */
  public record Timing(long heartbeatMs, long answerTimeoutMs, long lockWaitMs, long connectTimeoutMs,
                       Backoff reconnect) {
    public static final Timing DEFAULT = new Timing(2_000, 3_000, 2_000, 5_000, new Backoff(100, 5_000));
  }

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final Timing timing;
  private final Listener listener;
  private final Runnable reached;
  private Context context;
  /** The one-thread loop of {@link #context}, shut down by {@link #release}. */
  private EventLoopGroup ownLoop;

  // Touched only on context.
  private PgConnection current;
  private boolean leader;
  private boolean stopped;
  private int failures;
  private long heartbeatTimer = -1;
  private long retryTimer = -1;
  private long highestSeen = Wakeup.UNKNOWN;
  /** Told the version PostgreSQL holds after each lock-wait round of a candidate (see {@link #onVersionSeen}). */
  private volatile java.util.function.LongConsumer versionSeen = v -> { };

  /** {@code reached} is called whenever PostgreSQL answered (staleness metric). */
  public LeaderSession(Vertx vertx, PgConnectOptions options, Timing timing, Listener listener, Runnable reached) {
    this(vertx, options, timing, LOCK_KEY, listener, reached);
  }

  public LeaderSession(Vertx vertx, PgConnectOptions options, Timing timing, long lockKey, Listener listener,
                       Runnable reached) {
    this.lockKey = lockKey;
    this.vertx = vertx;
    this.timing = timing;
    this.listener = listener;
    this.reached = reached;
    Map<String, String> properties = new HashMap<>(options.getProperties());
    properties.put("application_name", APPLICATION_NAME);
    this.options = new PgConnectOptions(options).setProperties(properties);
    this.options.setMetricsName("sync-leader");
  }

  public synchronized void start() {
    if (context == null) {
      context = ownContext();
      context.runOnContext(v -> {
        heartbeatTimer = vertx.setPeriodic(timing.heartbeatMs(), id -> heartbeat());
        connect();
      });
    }
  }

  /**
   * A context on an event loop of the session's own thread, which carries no proxy traffic: a notification is
   * handled (and, when it carries its version, published) as soon as it arrives, not behind a busy proxy loop's
   * requests; a thread that sleeps between changes is also run ahead of busy ones by the scheduler.
   */
  private Context ownContext() {
    VertxInternal internal = (VertxInternal) vertx;
    ownLoop = internal.transport().eventLoopGroup(Transport.IO_EVENT_LOOP_GROUP, 1, r -> {
      Thread t = VertxThreadFactory.INSTANCE.newVertxThread(r, "sluice-sync-session", false, 2, TimeUnit.SECONDS);
      t.setDaemon(true);  // release() ends it; a node that is never stopped must not keep its JVM alive for it
      return t;
    }, 100);
    return internal.contextBuilder().withEventLoop(ownLoop.next()).build();
  }

  /**
   * Ends the session's thread, once its Vert.x instance is closed: pooled connections opened from the session's
   * context (the leader's reads) do their I/O on that loop, and closing them needs it running.
   */
  public synchronized void release() {
    if (ownLoop != null) {
      ownLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** Gives up leadership (closing the session frees the lock) and stops for good. */
  public synchronized Future<Void> stop() {
    if (context == null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      vertx.cancelTimer(heartbeatTimer);
      vertx.cancelTimer(retryTimer);
      setLeader(false);
      PgConnection c = current;
      current = null;
      (c == null ? Future.<Void>succeededFuture() : c.close()).onComplete(ar -> done.complete());
    });
    return done.future();
  }

  private void connect() {
    if (stopped) {
      return;
    }
    Future<PgConnection> connecting = PgConnection.connect(vertx, options);
    boolean[] abandoned = {false};
    long deadline = vertx.setTimer(timing.connectTimeoutMs(), id -> {
      abandoned[0] = true;
      retry("connect not done within " + timing.connectTimeoutMs() + " ms");
    });
    connecting.onComplete(ar -> {
      vertx.cancelTimer(deadline);
      if (abandoned[0]) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        retry("connect failed: " + ar.cause().getMessage());
        return;
      }
      PgConnection conn = ar.result();
      if (stopped) {
        conn.close();
        return;
      }
      current = conn;
      reached.run();
      conn.exceptionHandler(err -> LOG.debug("sync session error", err));
      conn.closeHandler(v -> lost(conn, "connection closed"));
      conn.notificationHandler(n -> {
        if (conn == current && leader && CHANNEL.equals(n.getChannel())) {
          // "<version>", or "<version> <json>": the version's entities, carried whole (migration V17).
          String payload = n.getPayload().trim();
          int space = payload.indexOf(' ');
          long v;
          try {
            v = Long.parseLong(space < 0 ? payload : payload.substring(0, space));
          } catch (NumberFormatException e) {
            v = Wakeup.UNKNOWN;
          }
          Delta carried = v == Wakeup.UNKNOWN || space < 0 ? null
              : NotifyPayload.parse(v, payload.substring(space + 1));
          highestSeen = Math.max(highestSeen, v);
          listener.wake(new Wakeup(Wakeup.Cause.NOTIFIED, v, carried));
        }
      });
      // Server side: a vanished client's session (and its lock) is ended by these; older servers lack
      // idle_session_timeout, which only loses that bound.
      conn.query("set lock_timeout = " + timing.lockWaitMs()).execute()
          .compose(v -> conn.query("set tcp_keepalives_idle = 5").execute())
          .compose(v -> conn.query("set tcp_keepalives_interval = 2").execute())
          .compose(v -> conn.query("set idle_session_timeout = " + (timing.heartbeatMs() * 5)).execute()
              .recover(err -> Future.succeededFuture()))
          .onComplete(ar2 -> {
            if (ar2.failed()) {
              lost(conn, "session setup failed: " + ar2.cause().getMessage());
            } else {
              acquire(conn);
            }
          });
    });
  }

  /** Waits for the lock in rounds of lock_timeout; each round's answer proves the connection alive. */
  private void acquire(PgConnection conn) {
    if (conn != current) {
      return;
    }
    long deadline = vertx.setTimer(timing.lockWaitMs() + timing.answerTimeoutMs(),
        id -> lost(conn, "lock wait not answered"));
    conn.query("select pg_advisory_lock(" + lockKey + ")").execute().onComplete(ar -> {
      vertx.cancelTimer(deadline);
      if (conn != current) {
        return;
      }
      if (ar.succeeded()) {
        reached.run();
        listen(conn);
      } else if (SqlStates.is(ar.cause(), "55P03")) {
        reached.run();
        failures = 0;
        candidateRound(conn);
      } else {
        lost(conn, "lock wait failed: " + ar.cause().getMessage());
      }
    });
  }

  /**
   * Between two lock waits, a candidate reads the version PostgreSQL holds and says so: a node whose cluster does
   * not deliver that version (a split cluster whose half has no sync leader) learns it is behind (ConfigApplier).
   */
  private void candidateRound(PgConnection conn) {
    long deadline = vertx.setTimer(timing.answerTimeoutMs(), id -> lost(conn, "version not answered"));
    conn.query(ConfigStore.VERSION).execute().map(ConfigStore::single).onComplete(ar -> {
      vertx.cancelTimer(deadline);
      if (conn != current) {
        return;
      }
      if (ar.failed()) {
        lost(conn, "version read failed: " + ar.cause().getMessage());
        return;
      }
      versionSeen.accept(ar.result());
      acquire(conn);
    });
  }

  /**
   * {@code seen} is told, on the session's thread, the version PostgreSQL holds each time a candidate reads it
   * between its lock waits, and each time the leader's heartbeat reads it.
   */
  public void onVersionSeen(java.util.function.LongConsumer seen) {
    this.versionSeen = seen;
  }

  private void listen(PgConnection conn) {
    conn.query("LISTEN \"" + CHANNEL + "\"").execute()
        .compose(v -> conn.query(ConfigStore.VERSION).execute().map(ConfigStore::single))
        .onComplete(ar -> {
          if (conn != current) {
            return;
          }
          if (ar.failed()) {
            lost(conn, "LISTEN failed: " + ar.cause().getMessage());
            return;
          }
          failures = 0;
          highestSeen = Math.max(highestSeen, ar.result());
          LOG.info("sync leader: holding the sync lock and listening on {} (backend pid {})",
              CHANNEL, conn.processId());
          setLeader(true);
          listener.wake(new Wakeup(Wakeup.Cause.CONNECTED, ar.result(), null));
        });
  }

  private void heartbeat() {
    PgConnection conn = current;
    if (!leader || conn == null) {
      return;
    }
    long deadline = vertx.setTimer(timing.answerTimeoutMs(), id -> lost(conn, "no heartbeat answer"));
    conn.query(ConfigStore.VERSION).execute().map(ConfigStore::single).onComplete(ar -> {
      vertx.cancelTimer(deadline);
      if (conn != current) {
        return;
      }
      if (ar.failed()) {
        lost(conn, "heartbeat failed: " + ar.cause().getMessage());
        return;
      }
      reached.run();
      long seen = ar.result();
      versionSeen.accept(seen);  // the leader's node is behind PostgreSQL too when its own changes do not reach it
      if (seen < highestSeen) {
        // PostgreSQL went back (a database restored from an older backup): the leader's read finds out and
        // reloads; versions from here on are announced anew.
        highestSeen = seen;
        listener.wake(new Wakeup(Wakeup.Cause.HEARTBEAT, seen, null));
      } else if (seen > highestSeen) {
        // The notification of a version just committed may come after this answer (PostgreSQL sends it when the
        // session is idle again): a wake-up now would read what that notification is about to carry. The
        // version counts as announced by nobody only if no notification named it a moment later.
        vertx.setTimer(NOTIFY_GRACE_MS, id -> {
          if (conn == current && leader && seen > highestSeen) {
            highestSeen = seen;
            listener.wake(new Wakeup(Wakeup.Cause.HEARTBEAT, seen, null));
          }
        });
      }
    });
  }

  /** How long after a heartbeat's answer a version it saw may still be announced by its notification. */
  static final long NOTIFY_GRACE_MS = 250;

  private void lost(PgConnection conn, String why) {
    if (conn != current) {
      return;
    }
    current = null;
    conn.close();
    if (leader) {
      LOG.warn("sync leader: session lost ({}); leadership given up", why);
    }
    setLeader(false);
    retry(why);
  }

  private void retry(String why) {
    if (stopped) {
      return;
    }
    long delay = Math.max(1, timing.reconnect().delayMs(failures++));
    LOG.debug("sync session: {}; attempt {} in {} ms", why, failures, delay);
    retryTimer = vertx.setTimer(delay, id -> connect());
  }

  private void setLeader(boolean yes) {
    if (leader != yes) {
      leader = yes;
      listener.leadership(yes);
    }
  }
}
