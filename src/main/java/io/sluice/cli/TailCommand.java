package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.util.Backoff;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code sluice tail --tenant T --token K [--cursor C | --from earliest|latest] [--url ws://HOST:9002]
 * [--route R] [--status 5xx] [--limit N]}: follows a tenant's access stream and prints each record as one
 * JSON line on stdout; gap frames go to stderr. A dropped connection is resumed from the last cursor (capped
 * full-jitter backoff); on exit (Ctrl-C, --limit reached, or a refusal) the cursor to resume from is printed
 * on stderr as {@code cursor: C}. Exit codes: 0 done, 1 refused by the node (the close code and reason are
 * printed), 2 bad arguments (and the node's 4400, a bad query).
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
    customSynopsis = {"sluice tail --tenant T --token K [--cursor C | --from earliest|latest]",
        "            [--url ws://HOST:9002] [--route R] [--status 5xx] [--limit N]"},
    description = "Follows a tenant's access stream: one JSON record a line on stdout; on exit the cursor to"
        + " resume from on stderr (cursor: C).")
public final class TailCommand implements Callable<Integer> {

  static final String DEFAULT_URL = "ws://127.0.0.1:9002";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Reconnects after a drop: soon at first, then spread up to 10 s so a restarting node is not stampeded. */
  private static final Backoff BACKOFF = new Backoff(200, 10_000);
  /** A stream node answers the WebSocket handshake at once or is down. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** The stream's close code for a bad query (StreamVerticle): the same mistake as a bad argument here. */
  private static final int BAD_QUERY = 4400;

  enum From { earliest, latest }

  /** Where to start: after a cursor, or at one end of the retained stream (the node refuses both at once). */
  static final class Start {
    @Option(names = "--cursor", paramLabel = "C", required = true,
        description = "Resume right after this cursor (the one a previous run printed).")
    String cursor;

    @Option(names = "--from", paramLabel = "earliest|latest", required = true,
        description = "Start at the oldest retained record or at the next new one (default: latest).")
    From from;
  }

  @Option(names = "--tenant", paramLabel = "T", required = true, description = "The tenant whose records to follow.")
  String tenant;

  @Option(names = "--token", paramLabel = "K", defaultValue = "${env:SLUICE_STREAM_TOKEN}",
      description = "The tenant's stream token (default: $SLUICE_STREAM_TOKEN).")
  String token;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Start start;

  @Option(names = "--url", paramLabel = "ws://HOST:9002",
      defaultValue = "${env:SLUICE_STREAM_URL:-" + DEFAULT_URL + "}",
      description = "The stream listener (default: $SLUICE_STREAM_URL, else " + DEFAULT_URL + ").")
  String url;

  @Option(names = "--route", paramLabel = "R", description = "Only the records of this route.")
  String route;

  @Option(names = "--status", paramLabel = "5xx", description = "Only these statuses (e.g. 5xx, 404).")
  String status;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "Exit after N records (default: 0, no limit).")
  int limit;

  @Spec
  CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;
  private volatile String cursor;
  private final AtomicInteger printed = new AtomicInteger();

  public TailCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs {@code tail ...} (the arguments after "tail") on its own and answers the exit code. */
  public int run(String[] args) {
    return Cli.configure(new CommandLine(this), out, err).execute(args);
  }

  /** For Ctrl-C: a shutdown hook printing the cursor (once, whichever way the command ends). */
  public Thread cursorPrinter() {
    return new Thread(this::printCursor);
  }

  /** Follows the stream, then prints the cursor to resume from. */
  @Override
  public Integer call() {
    if (token == null || token.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--token (or $SLUICE_STREAM_TOKEN) is required");
    }
    if (limit < 0) {
      throw new ParameterException(spec.commandLine(), "--limit must be 0 (no limit) or more, not " + limit);
    }
    URI base = streamUri();
    cursor = start == null ? null : start.cursor;
    String from = start == null || start.from == null ? From.latest.name() : start.from.name();
    int code = follow(base, from);
    printCursor();
    return code;
  }

  private URI streamUri() {
    try {
      URI uri = new URI(url + "/v1/stream");
      if (("ws".equals(uri.getScheme()) || "wss".equals(uri.getScheme())) && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new ParameterException(spec.commandLine(), "--url must be a ws:// or wss:// URL, not '" + url + "'");
  }

  private int follow(URI base, String from) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    int attempt = 0;
    boolean everConnected = false;
    while (true) {
      String query = (cursor != null ? "cursor=" + enc(cursor) : "from=" + from)
          + (route != null ? "&route=" + enc(route) : "") + (status != null ? "&status=" + enc(status) : "");
      Session session = new Session(tenant, limit);
      try {
        http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
            .buildAsync(URI.create(base + "?" + query), session).join();
        attempt = 0;
        everConnected = true;
      } catch (Exception e) {
        err.println("tail: cannot connect to " + url + ": " + rootMessage(e));
        if (!everConnected) {
          // Never reached (a wrong --url, a node not started): say so and stop, rather than retry forever. Once
          // connected, a lost connection is resumed from the cursor with backoff, as before.
          return Cli.FAILURE;
        }
        session.done.complete(-1);
      }
      int code = session.done.join();
      if (session.limitReached) {
        return 0;
      }
      if (code >= 4000 && code < 5000) {
        err.println("tail: refused (" + code + "): " + session.reason);
        if ((code == 4403 || code == 4409 || code == 4416) && start != null && cursor != null
            && cursor.equals(start.cursor)) {
          cursor = null; // the cursor given was refused and nothing came: it is no cursor to resume from
        }
        return code == BAD_QUERY ? Cli.USAGE : Cli.FAILURE;
      }
      long delay = BACKOFF.delayMs(attempt++);
      if (code != -1) {
        err.println("tail: connection closed (" + code + (session.reason.isEmpty() ? "" : ": " + session.reason)
            + "); resuming in " + delay + " ms");
      }
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
    }
  }

  private final AtomicBoolean cursorPrinted = new AtomicBoolean();

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
        if (f.has("gap") && f.get("gap").has("dropped")) {
          JsonNode g = f.get("gap");
          err.println("tail: gap: " + g.get("dropped") + " record(s) made from " + g.path("from_ts").asText() + " to "
              + g.path("to_ts").asText() + " were dropped by node " + g.path("node").asText() + " (its spool was full)");
        } else if (f.has("gap")) {
          err.println("tail: gap: records " + f.get("gap").get("from") + " to " + f.get("gap").get("to")
              + " are past retention");
        } else if (f.has("record")) {
          JsonNode rec = f.get("record");
          // A record of a request no route matched, in the stream.default_tenant's stream, names no tenant (only its
          // tenant_id): the server sent it to this token's tenant, so it is this tenant's. It ended tail with a 4403
          // the server never sent.
          if (rec.hasNonNull("tenant") && !tenant.equals(rec.path("tenant").asText())) {
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
}
