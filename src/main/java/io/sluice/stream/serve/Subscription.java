package io.sluice.stream.serve;

import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebSocket following one tenant, on its event loop. It pulls: records are read from the shared ring
 * (or, when older, from {@link Backfill}) only while the socket's write queue has room, so a slow client
 * holds a position, not a growing buffer; one whose socket stays full past stream.slow_client_ms is closed
 * with 1013 by the verticle's sweep. Each frame carries the signed cursor of its record.
 */
final class Subscription {

  /** Start positions besides a cursor's. */
  static final long LATEST = -1;
  static final long EARLIEST = -2;
  /** Records framed per pass before checking the socket again: bounds the overshoot past a full queue. */
  static final int PASS = 256;
  /** Pause before asking Kafka again after a backfill failed or made no progress (Kafka down). */
  static final long RETRY_MS = 500;
  /** Close code of a cursor past the log's end (a range that cannot be satisfied). */
  static final short PAST_END = 4416;

  private final StreamFeed feed;
  /** The subscriber's socket; null while the subscription is set up before its handshake is accepted. */
  private ServerWebSocket ws;
  /** Run once the start is settled while there is no socket yet (see {@link #setUp}). */
  private Runnable onSetUp;
  private final Context context;
  private final String tenant;
  private final Filters filters;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Runnable waker = this::wake;
  private final List<Ring.Item> scratch = new ArrayList<>(PASS);
  private int partition = -1;
  private final int cursorPartition;
  /** The position (see {@link Ring#pos}) of the next record to look at, or LATEST/EARLIEST. */
  private long next;
  /** Copies already seen, while reading older records from Kafka (null until the first backfill). */
  private Dedup backfillDedup;
  private boolean fetching;
  /** A resumed position past the ring's end was checked against the log's end in Kafka (once). */
  private boolean endChecked;
  private boolean closed;
  /** When the socket's write queue was last found full and not yet drained (0: not stalled). */
  long stalledSince;

  Subscription(StreamFeed feed, Context context, String tenant, Filters filters, int cursorPartition, long start) {
    this.feed = feed;
    this.context = context;
    this.tenant = tenant;
    this.filters = filters;
    this.cursorPartition = cursorPartition;
    this.next = start;
  }

  /**
   * Before a socket: follows the tenant's partition and, from the latest record, takes the partition's end as the
   * start; then runs {@code ready} on the subscription's event loop (not if it is closed first). The handshake is
   * accepted after it, so that "latest" is the log's end when the client learns it is connected.
   */
  void setUp(Runnable ready) {
    onSetUp = ready;
    pump();
  }

  /** The subscriber's socket, once its handshake is accepted: records flow from the next {@link #pump}. */
  void attach(ServerWebSocket ws) {
    this.ws = ws;
    ws.drainHandler(v -> {
      stalledSince = 0;
      pump();
    });
  }

  /** From any thread: run a pump on the subscription's event loop (once, however many wake-ups come). */
  void wake() {
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> {
        scheduled.set(false);
        pump();
      });
    }
  }

  private boolean watching;

  void close() {
    closed = true;
    if (watching) {
      watching = false;
      feed.unwatch(partition);
    }
  }

  void pump() {
    if (closed || fetching) {
      return;
    }
    if (partition < 0) {
      partition = feed.partitionOf(tenant);
      if (partition < 0) {
        feed.whenReady(waker);
        return;
      }
      if (cursorPartition >= 0 && cursorPartition != partition) {
        closed = true;
        ws.close((short) 4409, "cursor names partition " + cursorPartition + " but the tenant's records are in "
            + partition + " (the topic's partitions changed)");
        return;
      }
      watching = true;
      feed.watch(partition);
    }
    Ring ring = feed.ring(partition);
    if (ring.awaitLive(waker)) {
      return; // the reader attaches the partition at once (it is woken) and wakes us
    }
    if (next == LATEST) {
      next = ring.end();
    }
    if (ws == null) { // set up before the handshake: the start is settled, the socket comes next
      Runnable ready = onSetUp;
      onSetUp = null;
      if (ready != null) {
        ready.run();
      }
      return;
    }
    if (next >= 0 && !endChecked && next > ring.end()) {
      checkEnd();
      return;
    }
    while (!closed) {
      if (ws.isClosed()) {
        closed = true; // the close handler follows
        return;
      }
      if (ws.writeQueueFull()) {
        if (stalledSince == 0) {
          stalledSince = System.currentTimeMillis();
        }
        return; // the drain handler pumps again
      }
      long base = ring.base();
      if (next == EARLIEST || next < base) {
        backfill(base);
        return;
      }
      scratch.clear();
      long end = ring.read(next, PASS, scratch);
      if (scratch.isEmpty()) {
        next = Math.max(next, end);
        if (ring.awaitAfter(next, waker)) {
          return;
        }
        continue;
      }
      for (Ring.Item it : scratch) {
        deliver(it);
      }
    }
  }

  private void deliver(Ring.Item it) {
    next = it.after();
    if (tenant.equals(it.tenant()) && (it.loss() || filters.accepts(it))) {
      // The last record of a batch names the whole batch: a resume (or a gap) starts at the next one.
      String cursor = feed.cursors().encode(tenant, partition,
          it.last() ? Ring.pos(it.offset(), Cursors.WHOLE) : it.pos());
      if (it.loss()) {
        // Records of this tenant its node dropped (spool full): how many and when, where they would have been.
        ws.writeTextMessage("{\"gap\":" + it.json() + ",\"cursor\":\"" + cursor + "\"}");
        return;
      }
      ws.writeTextMessage("{\"cursor\":\"" + cursor + "\",\"record\":" + it.json() + "}");
      feed.delivered.increment();
    }
  }

  /**
   * A cursor past this node's ring is either ahead of the node's reader by a moment (issued by a node that read
   * further) or past the log's end in Kafka: the topic was recreated or emptied, or the cursor comes from another
   * cluster sharing the secret. The second would wait forever while records arrive below it, so it is refused.
   */
  private void checkEnd() {
    fetching = true;
    feed.endOffset(partition).whenComplete((end, err) -> context.runOnContext(v -> {
      fetching = false;
      if (closed || ws.isClosed()) {
        return;
      }
      if (err != null) {
        context.owner().setTimer(RETRY_MS, id -> pump());
        return;
      }
      endChecked = true;
      if (next > Ring.pos(end, 0)) {
        closed = true;
        ws.close(PAST_END, "cursor past the log's end (offset " + (next >>> Ring.INDEX_BITS) + ", end " + end
            + "): the topic was recreated; reconnect with from=earliest");
        return;
      }
      pump();
    }));
  }

  private void backfill(long until) {
    fetching = true;
    long from = next == EARLIEST ? -1 : next;
    if (backfillDedup == null) {
      backfillDedup = new Dedup();
    }
    feed.backfill(partition, from, until, backfillDedup).whenComplete((chunk, err) -> context.runOnContext(v -> {
      fetching = false;
      if (closed || ws.isClosed()) {
        return;
      }
      if (err != null) {
        context.owner().setTimer(RETRY_MS, id -> pump());
        return;
      }
      if (chunk.hasGap()) {
        // Records between the cursor and the log's start are gone (retention): say so, never jump silently.
        String cursor = feed.cursors().encode(tenant, partition, Ring.pos(chunk.gapTo(), Cursors.WHOLE));
        ws.writeTextMessage("{\"gap\":{\"from\":" + chunk.gapFrom() + ",\"to\":" + chunk.gapTo() + "},\"cursor\":\""
            + cursor + "\"}");
      }
      long before = next;
      for (Ring.Item it : chunk.items()) {
        deliver(it);
      }
      next = Math.max(next, chunk.next());
      if (next == EARLIEST || (next == before && chunk.items().isEmpty() && !chunk.hasGap())) {
        context.owner().setTimer(RETRY_MS, id -> pump());
      } else {
        pump();
      }
    }));
  }
}
