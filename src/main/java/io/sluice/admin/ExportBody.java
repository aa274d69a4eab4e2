package io.sluice.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.ConfigFileWriter;
import io.sluice.config.ConsumerEntry;
import io.sluice.store.ConsumerSink;
import io.sluice.store.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer of {@code GET /config}, written as the export is read: the file's head (certificates, services) and
 * tail (plugins, routes) are serialized on a worker, its consumers one by one as the database cursor yields
 * them, and the bytes go out in chunks as they are made. A client that reads slowly holds the cursor back (the
 * response's write queue full pauses it); one that stops reading for the admin listener's idle timeout (or
 * {@link #STALL_MS} where that is 0: a paused cursor holds a PostgreSQL connection) or goes away ends the export
 * (the connection is closed, so the client cannot mistake a truncated file for a whole one). The listener's read
 * timeouts ({@code ReadTimeouts}) count nothing while an answer is being written: this is its limit on writes.
 */
final class ExportBody implements ConsumerSink {

  /** How long a client may leave the export's answer unread when the listener has no idle timeout. */
  static final long STALL_MS = 60_000;

  private final Vertx vertx;
  private final long stallMs;
  private final HttpServerResponse response;
  /** Bytes the writer made and the response has not been given yet. */
  private final List<byte[]> made = new ArrayList<>();
  private ConfigFileWriter writer;
  private String gone;
  private Runnable waiting;
  private long stallTimer = -1;

  private ExportBody(Vertx vertx, HttpServerResponse response, long idleMs) {
    this.vertx = vertx;
    this.response = response;
    this.stallMs = idleMs > 0 ? idleMs : STALL_MS;
  }

  /**
   * Starts the answer of {@code snapshot}'s file (its consumers to come through {@link #accept}): 200 with the
   * version and the content type, once the head is made. {@code idleMs}: the listener's idle timeout (0: none);
   * {@code withPlugins} false for a tenant's part (no plugins key: they are applied with an operator token).
   */
  static Future<ConsumerSink> start(Vertx vertx, HttpServerResponse response, ObjectMapper mapper, Snapshot snapshot,
                                    String contentType, long idleMs, boolean withPlugins) {
    ExportBody body = new ExportBody(vertx, response, idleMs);
    return vertx.executeBlocking(() -> new ConfigFileWriter(mapper, snapshot.config().sorted(), withPlugins,
            body.made::add), false)
        .map(writer -> {
          body.writer = writer;
          response.closeHandler(v -> body.fail("the client closed the connection"));
          response.setStatusCode(200).setChunked(true)
              .putHeader(ConfigRoutes.VERSION_HEADER, Long.toString(snapshot.version()))
              .putHeader("Content-Type", contentType);
          body.flush();
          return body;
        });
  }

  @Override
  public boolean accept(ConsumerEntry consumer) {
    if (gone != null) {
      throw new IllegalStateException(gone);
    }
    writer.consumer(consumer);
    flush();
    return !response.writeQueueFull();
  }

  @Override
  public void whenReady(Runnable resume) {
    waiting = resume;
    response.drainHandler(v -> resume());
    stallTimer = vertx.setTimer(stallMs, t -> {
      stallTimer = -1;
      fail("the client read nothing for " + stallMs + " ms");
      response.reset();
    });
  }

  @Override
  public Future<Void> end() {
    if (gone != null) {
      return Future.failedFuture(gone);
    }
    return vertx.executeBlocking(() -> {
      writer.end();
      return null;
    }, false).compose(v -> {
      flush();
      return response.end();
    });
  }

  private void flush() {
    for (byte[] chunk : made) {
      response.write(Buffer.buffer(chunk));
    }
    made.clear();
  }

  /** The export cannot go on: the reader learns it at its next consumer (woken if it waits). */
  private void fail(String why) {
    if (gone == null) {
      gone = why;
      resume();
    }
  }

  private void resume() {
    if (stallTimer != -1) {
      vertx.cancelTimer(stallTimer);
      stallTimer = -1;
    }
    Runnable r = waiting;
    waiting = null;
    if (r != null) {
      r.run();
    }
  }
}
