package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code sluice tail --tenant T --token K [--cursor C | --from earliest|latest] [--url ws://HOST:9002]
 * [--route R] [--status 5xx] [--limit N]}: follows a tenant's access stream and prints each record as one
 * JSON line on stdout; gap frames go to stderr. A dropped connection is resumed from the last cursor (capped
 * full-jitter backoff); on exit (Ctrl-C, --limit reached, or a refusal) the cursor to resume from is printed
 * on stderr as {@code cursor: C}. Exit codes: 0 done, 1 refused by the node (the close code and reason are
 * printed), 2 bad arguments.
 */
public final class TailCommand {

  static final String DEFAULT_URL = "ws://127.0.0.1:9002";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BACKOFF_BASE_MS = 200;
  private static final long BACKOFF_CAP_MS = 10_000;

  private final PrintStream out;
  private final PrintStream err;
  private volatile String cursor;
  private final AtomicInteger printed = new AtomicInteger();

  public TailCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs {@code tail ...} (the arguments after "tail"), prints the cursor to resume from, answers the exit code. */
  public int run(String[] args) {
    int code = follow(args);
    printCursor();
    return code;
  }

  /** For Ctrl-C: a shutdown hook printing the cursor (once, whichever way the command ends). */
  public Thread cursorPrinter() {
    return new Thread(this::printCursor);
  }

  private int follow(String[] args) {
    String tenant = null;
    String token = System.getenv("SLUICE_STREAM_TOKEN");
    String from = "latest";
    String url = System.getenv().getOrDefault("SLUICE_STREAM_URL", DEFAULT_URL);
    String route = null;
    String status = null;
    int limit = 0;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        return usage(a.startsWith("--") ? a + " needs a value" : "unexpected argument " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--tenant" -> tenant = v;
        case "--token" -> token = v;
        case "--cursor" -> cursor = v;
        case "--from" -> from = v;
        case "--url" -> url = v;
        case "--route" -> route = v;
        case "--status" -> status = v;
        case "--limit" -> {
          try {
            limit = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            return usage("--limit must be a number");
          }
        }
        default -> {
          return usage("unknown option " + a);
        }
      }
    }
    if (tenant == null || token == null) {
      return usage("--tenant and --token are required");
    }
    if (!from.equals("earliest") && !from.equals("latest")) {
      return usage("--from must be earliest or latest");
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int attempt = 0;
    while (true) {
      String query = (cursor != null ? "cursor=" + enc(cursor) : "from=" + from)
          + (route != null ? "&route=" + enc(route) : "") + (status != null ? "&status=" + enc(status) : "");
      Session session = new Session(tenant, limit);
      try {
        http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
            .buildAsync(URI.create(url + "/v1/stream?" + query), session).join();
        attempt = 0;
      } catch (Exception e) {
        err.println("tail: cannot connect to " + url + ": " + rootMessage(e));
        session.done.complete(-1);
      }
      int code = session.done.join();
      if (session.limitReached) {
        return 0;
      }
      if (code >= 4000 && code < 5000) {
        err.println("tail: refused (" + code + "): " + session.reason);
        return code == 4400 ? 2 : 1;
      }
      long delay = ThreadLocalRandom.current().nextLong(Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS << Math.min(attempt++, 8)) + 1);
      if (code != -1) {
        err.println("tail: connection closed (" + code + (session.reason.isEmpty() ? "" : ": " + session.reason)
            + "); resuming in " + delay + " ms");
      }
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        return 0;
      }
    }
  }

  private final java.util.concurrent.atomic.AtomicBoolean cursorPrinted = new java.util.concurrent.atomic.AtomicBoolean();

  private void printCursor() {
    if (cursor != null && cursorPrinted.compareAndSet(false, true)) {
      err.println("cursor: " + cursor);
    }
    out.flush();
  }

  /** One connection: frames to stdout, the close code (-1: dropped without one) into {@code done}. */
  private final class Session implements WebSocket.Listener {
    final CompletableFuture<Integer> done = new CompletableFuture<>();
    final String tenant;
    final int limit;
    final StringBuilder partial = new StringBuilder();
    volatile String reason = "";
    volatile boolean limitReached;

    Session(String tenant, int limit) {
      this.tenant = tenant;
      this.limit = limit;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      if (limitReached || done.isDone()) {
        return null; // finished: nothing more is printed, nothing more requested
      }
      partial.append(data);
      if (last) {
        frame(ws, partial.toString());
        partial.setLength(0);
      }
      if (!done.isDone()) {
        ws.request(1);
      }
      return null;
    }

    private void frame(WebSocket ws, String text) {
      try {
        JsonNode f = JSON.readTree(text);
        if (f.has("gap")) {
          err.println("tail: gap: records " + f.get("gap").get("from") + " to " + f.get("gap").get("to")
              + " are past retention");
        } else if (f.has("record")) {
          JsonNode rec = f.get("record");
          if (!tenant.equals(rec.path("tenant").asText())) {
            err.println("tail: the token is not " + tenant + "'s (records of " + rec.path("tenant").asText() + ")");
            reason = "wrong tenant";
            ws.abort();
            done.complete(4403);
            return;
          }
          out.println(rec.toString());
          if (limit > 0 && printed.incrementAndGet() >= limit) {
            limitReached = true;
            cursor = f.path("cursor").asText(cursor);
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
            done.complete(1000);
            return;
          }
        }
        if (f.has("cursor")) {
          cursor = f.get("cursor").asText();
        }
      } catch (Exception e) {
        err.println("tail: unreadable frame: " + e.getMessage());
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String why) {
      reason = why == null ? "" : why;
      done.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      reason = rootMessage(error);
      done.complete(-1);
    }
  }

  private static String enc(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private int usage(String problem) {
    err.println("sluice tail: " + problem);
    err.println("usage: sluice tail --tenant T --token K [--cursor C | --from earliest|latest] [--url ws://HOST:9002]"
        + " [--route R] [--status 5xx] [--limit N]");
    return 2;
  }
}
