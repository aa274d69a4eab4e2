package io.sluice.stream.serve;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.sluice.bus.Addresses;
import io.sluice.credential.StreamTokens;
import io.sluice.proxy.StrictRequestDecoder;
import io.sluice.settings.NodeSettings;
import io.sluice.tls.TlsOptions;
import io.sluice.util.InvalidRequestAnswer;
import io.sluice.util.MalformedBodies;
import io.sluice.util.ReadTimeouts;
import io.sluice.util.WebSocketProtocolErrors;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream listener (port 9002): {@code /v1/stream} WebSockets. It authenticates the tenant (stream
 * token as a bearer header or {@code ?token=}), checks the start position (a cursor must verify and name
 * that tenant) and hands the socket to a {@link Subscription}. Refusals close the socket with a code and
 * a reason (4400 bad request or unreadable cursor, 4401 no or unknown token, 4403 forged cursor or another
 * tenant's, 4404 wrong path, 1011 token store unreachable; the subscription adds 4409 and 4416) so that browsers, which never see a
 * refused handshake's answer, can show why. It also sweeps for slow clients (1013) and pings idle sockets.
 */
public final class StreamVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(StreamVerticle.class);
  public static final String PATH = "/v1/stream";
  /** Frames queued per socket before it counts as full (and reading pauses for it). */
  static final int WRITE_QUEUE_BYTES = 256 * 1024;
  /**
   * Kernel send buffer per socket: with the write queue, what a subscriber that stopped reading can hold
   * on this node (instead of autotuning up to megabytes each); still 2.5 MB/s of catch-up at 100 ms RTT.
   */
  static final int SEND_BUFFER_BYTES = 256 * 1024;
  /** Pings keep idle sockets open through proxies and NATs that drop silent connections. */
  static final long PING_MS = 20_000;
  static final long SWEEP_MS = 250;
  /**
   * How often the tokens of open sockets are looked up again: a token deleted where no revocation event tells
   * (a row deleted with psql, a tenant's cascade) closes its sockets within this time.
   */
  static final long RECHECK_MS = 10_000;

  private final NodeSettings.Stream settings;
  /** TLS versions and ciphers when the listener has a certificate (set before deploy; null: plain ws://). */
  private NodeSettings.Tls tls;
  private final StreamFeed feed;
  private final StreamTokens.Store tokens;
  private final String tokenSecret;
  private final Set<Subscription> subscriptions = new HashSet<>();
  /** The node drains: a new socket is closed with 1001 at once (it would be closed within the drain anyway). */
  private volatile boolean stopping;
  private final Map<Subscription, ServerWebSocket> sockets = new java.util.HashMap<>();
  /** The digest (hex) of the stream token each subscription was opened with: what a revocation names. */
  private final Map<Subscription, String> tokenOf = new java.util.HashMap<>();
  private HttpServer server;
  private long lastPing;

  /** {@code tokens} null (no PostgreSQL): no token can be checked, every subscriber is refused with 4401. */
  /** Serve wss:// with stream.tls_cert_file and stream.tls_key_file, under these TLS settings. */
  public StreamVerticle tls(NodeSettings.Tls tls) {
    this.tls = tls;
    return this;
  }

  public StreamVerticle(NodeSettings.Stream settings, StreamFeed feed, StreamTokens.Store tokens, String tokenSecret) {
    this.settings = settings;
    this.feed = feed;
    this.tokens = tokens;
    this.tokenSecret = tokenSecret;
  }

  @Override
  public Future<?> start() {
    // HTTP/1.1 only (a WebSocket starts as one): with h2c on, Vert.x would show a connection to connectionHandler only
    // once a head had come whole, too late for the read timeouts.
    HttpServerOptions options = new HttpServerOptions().setHost(settings.host()).setPort(settings.port())
        .setTcpNoDelay(true).setSendBufferSize(SEND_BUFFER_BYTES).setRegisterWebSocketWriteHandlers(false)
        .setHttp2ClearTextEnabled(false)
        // No WebSocket compression, as on the proxy: Vert.x's frame bound (64 KiB) is checked on a frame as sent and
        // its message bound (256 KiB) only once a frame is inflated whole, which Netty does without a cap (about a
        // thousandfold for deflate), and a client can send before its token is checked. The stream reads nothing from
        // clients; an offer of compression gets plain frames both ways.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
    ReadTimeouts.Limits limits = new ReadTimeouts.Limits(settings.headerTimeoutMs(), settings.bodyTimeoutMs(),
        settings.idleTimeoutS() * 1000L);
    if (tls != null) {
      // wss:// when node settings give the stream listener a certificate.
      TlsOptions.files(options, "stream", settings.tlsCertFile(), settings.tlsKeyFile(), tls);
    }
    server = vertx.createHttpServer(options)
        // A version other than 1.0 and 1.1 is answered by the invalid-request handler, not Vert.x's 501; a head or
        // body too slow is 408 in this listener's JSON; an upgraded socket leaves these limits to the pings.
        .connectionHandler(conn -> {
          // Framing read as the proxy reads it: Content-Length twice (Netty keeps the first in HTTP/1.0) is refused.
          StrictRequestDecoder.install(conn, options, StrictRequestDecoder.LISTENER_MAX_HEADERS, 0);
          InvalidRequestAnswer.refuseOtherVersions(conn);
          MalformedBodies.guard(conn); // a body Netty cannot decode: 400, not a silent close
          ReadTimeouts.install(conn, limits, reason -> error(408, "request_timeout", reason));
          WebSocketProtocolErrors.install(conn); // a broken frame from a subscriber: a close frame saying why
        })
        .webSocketHandshakeHandler(this::handshake)
        .requestHandler(req -> {
          boolean stream = req.path().equals(PATH);
          if (stream) { // RFC 9110 15.5.22: a 426 says which protocol; Upgrade goes with its connection option
            req.response().putHeader("Upgrade", "websocket").putHeader("Connection", "Upgrade");
          }
          req.response().setStatusCode(stream ? 426 : 404).putHeader("Content-Type", "application/json")
              .end(stream ? error(426, "upgrade_required", "a WebSocket upgrade is required on " + PATH)
                  : error(404, "not_found", "no such resource; the stream is " + PATH));
        })
        .invalidRequestHandler(StreamVerticle::malformed);
    vertx.setPeriodic(SWEEP_MS, id -> sweep());
    vertx.setPeriodic(RECHECK_MS, id -> recheck());
    // A revoked token (admin API, any node) closes the sockets opened with it, here as everywhere.
    vertx.eventBus().<String>consumer(Addresses.STREAM_TOKEN_REVOKED, msg -> revoked(msg.body()));
    return server.listen();
  }

  /**
   * A request the HTTP layer cannot read (a control byte in a header, both Content-Length and Transfer-Encoding):
   * answered in this listener's JSON shape instead of Vert.x's bare 400, then the connection is closed.
   */
  private static void malformed(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431
        : 400;
    String code = status == 414 ? "uri_too_long" : status == 431 ? "headers_too_large" : "invalid";
    InvalidRequestAnswer.inHttp11(req); // not the HTTP/1.0 Netty stands an unreadable request in as
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
        .end(error(status, code, "the request is not valid HTTP/1.1"
            + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage())));
  }

  /** An answer before the upgrade, in the error shape of the admin API and the proxy. */
  private static String error(int status, String code, String message) {
    return new JsonObject().put("error", new JsonObject().put("status", status).put("code", code)
        .put("message", message)).encode();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** How long a {@code from=latest} handshake waits for the tenant's records to be followed before it is accepted. */
  static final long SET_UP_MS = 2_000;

  /**
   * A handshake is accepted once what the socket will see is settled: refusals are closes after the upgrade (so that a
   * browser can show why), and a subscription from the latest record is set up first (the token looked up, the
   * tenant's partition followed, its end taken as the start), so that "latest" is where the log ends when the 101 is
   * sent. Set up after the 101, a client that made requests as soon as it was connected missed their records (found
   * from outside: the token lookup and the partition's attachment took that long).
   */
  private void handshake(ServerWebSocketHandshake hs) {
    String token = bearer(hs.headers().get("Authorization"));
    String cursor;
    String from;
    Filters filters;
    if (!PATH.equals(hs.path())) {
      refuse(hs, (short) 4404, "no such stream; use " + PATH);
      return;
    }
    if (stopping) {
      refuse(hs, (short) 1001, "node stopping: connect to another node");
      return;
    }
    try {
      StreamQuery q = StreamQuery.parse(hs.uri());
      String inQuery = q.get("token");
      if (token != null && inQuery != null) {
        throw new IllegalArgumentException("give the token once: Authorization: Bearer or ?token=, not both");
      }
      if (token == null) {
        token = inQuery;
      }
      cursor = q.get("cursor");
      from = q.get("from");
      filters = Filters.parse(q.get("route"), q.get("status"));
      if (cursor != null && from != null) {
        throw new IllegalArgumentException("give either cursor or from, not both");
      }
      if (from != null && !from.equals("earliest") && !from.equals("latest")) {
        throw new IllegalArgumentException("from must be earliest or latest");
      }
    } catch (IllegalArgumentException e) {
      refuse(hs, (short) 4400, e.getMessage());
      return;
    }
    if (token == null || token.isEmpty()) {
      refuse(hs, (short) 4401, "a stream token is required (Authorization: Bearer or ?token=)");
      return;
    }
    if (tokens == null) {
      refuse(hs, (short) 4401, "stream tokens need the configuration store (pg.url)");
      return;
    }
    String digest = java.util.HexFormat.of().formatHex(StreamTokens.digest(token, tokenSecret));
    StreamTokens.tenantOf(tokens, token, tokenSecret).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("stream: token lookup failed: {}", ar.cause().toString());
        refuse(hs, (short) 1011, "token store unavailable; retry");
        return;
      }
      if (ar.result() == null) {
        refuse(hs, (short) 4401, "unknown stream token");
        return;
      }
      StreamTokens.Tenant owner = ar.result();
      if (cursor != null || "earliest".equals(from)) {
        accepted(hs, ws -> subscribe(ws, owner, cursor, "earliest".equals(from), filters, digest), null);
        return;
      }
      Subscription sub = new Subscription(feed, vertx.getOrCreateContext(), owner.id(), filters, -1,
          Subscription.LATEST);
      boolean[] once = new boolean[1];
      Runnable accept = () -> {
        if (!once[0]) {
          once[0] = true;
          accepted(hs, ws -> register(ws, sub, digest), sub);
        }
      };
      long timer = vertx.setTimer(SET_UP_MS, id -> accept.run()); // Kafka slow or away: the socket waits open
      sub.setUp(() -> {
        vertx.cancelTimer(timer);
        accept.run();
      });
    });
  }

  /** Accepts the handshake, then hands the socket on; a handshake that cannot complete closes {@code sub}. */
  private void accepted(ServerWebSocketHandshake hs, java.util.function.Consumer<ServerWebSocket> then,
                        Subscription sub) {
    hs.accept().onSuccess(ws -> {
      ws.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
      ws.textMessageHandler(msg -> { }); // nothing to read from clients; pings are answered by Vert.x
      if (stopping) {
        ws.close((short) 1001, "node stopping: connect to another node");
        if (sub != null) {
          sub.close();
        }
        return;
      }
      then.accept(ws);
    }).onFailure(err -> {
      if (sub != null) {
        sub.close(); // the client left during the handshake
      }
    });
  }

  /** A refusal: the upgrade, then a close frame with the code and the reason. */
  private void refuse(ServerWebSocketHandshake hs, short code, String reason) {
    accepted(hs, ws -> ws.close(code, reason), null);
  }

  /** Looks the token of every open socket up again (one lookup per token): one gone closes its sockets. */
  private void recheck() {
    if (tokens == null) {
      return;
    }
    for (String digest : new java.util.HashSet<>(tokenOf.values())) {
      tokens.tenantOf(java.util.HexFormat.of().parseHex(digest)).onSuccess(owner -> {
        if (owner == null) {
          revoked(digest); // a failed lookup (PostgreSQL down) closes nothing
        }
      });
    }
  }

  /** Closes every socket opened with the token of this digest (hex) with 4401. */
  private void revoked(String digest) {
    tokenOf.forEach((sub, d) -> {
      if (d.equals(digest)) {
        ServerWebSocket ws = sockets.get(sub);
        if (ws != null && !ws.isClosed()) {
          ws.close((short) 4401, "stream token revoked");
        }
      }
    });
  }

  private void subscribe(ServerWebSocket ws, StreamTokens.Tenant owner, String cursor, boolean earliest,
                         Filters filters, String tokenDigest) {
    String tenant = owner.id();
    long start = earliest ? Subscription.EARLIEST : Subscription.LATEST;
    int partition = -1;
    if (cursor != null) {
      Cursors.Position pos;
      try {
        pos = feed.cursors().decode(cursor);
      } catch (Cursors.InvalidCursor e) {
        ws.close(e.forged() ? (short) 4403 : (short) 4400, e.getMessage());
        return;
      }
      if (pos.legacy() && pos.tenant().equals(owner.name())) {
        // A version 1 cursor (records keyed by tenant name, one per Kafka record): the tenant's records are
        // keyed by id now, in their own partition; it resumes at the first of those.
        start = Subscription.EARLIEST;
      } else if (!pos.tenant().equals(tenant)) {
        ws.close((short) 4403, "the cursor belongs to another tenant");
        return;
      } else {
        partition = pos.partition();
        start = pos.pos() + 1;
      }
    }
    register(ws, new Subscription(feed, vertx.getOrCreateContext(), tenant, filters, partition, start), tokenDigest);
  }

  /** The socket's subscription counted and followed until the socket closes; its records start flowing. */
  private void register(ServerWebSocket ws, Subscription sub, String tokenDigest) {
    sub.attach(ws);
    subscriptions.add(sub);
    sockets.put(sub, ws);
    tokenOf.put(sub, tokenDigest);
    feed.subscribers.incrementAndGet();
    ws.closeHandler(v -> {
      sub.close();
      if (subscriptions.remove(sub)) {
        sockets.remove(sub);
        tokenOf.remove(sub);
        feed.subscribers.decrementAndGet();
      }
    });
    sub.pump();
  }

  /** Closes subscribers stalled past the bound (1013) and pings the others now and then. */
  private void sweep() {
    long now = System.currentTimeMillis();
    boolean ping = now - lastPing >= PING_MS;
    if (ping) {
      lastPing = now;
    }
    for (Subscription sub : List.copyOf(subscriptions)) {
      ServerWebSocket ws = sockets.get(sub);
      if (sub.stalledSince > 0 && now - sub.stalledSince > settings.slowClientMs()) {
        sub.close();
        LOG.info("stream: closing a subscriber that could not keep up for {} ms", settings.slowClientMs());
        ws.close((short) 1013, "client too slow: behind for more than " + settings.slowClientMs() + " ms");
      } else if (ping && !ws.isClosed() && !ws.writeQueueFull()) {
        ws.writePing(Buffer.buffer("sluice"));
      }
    }
  }

  /**
   * The node begins to drain: new subscribers are turned away (1001, as the open ones will be once the proxy's
   * in-flight requests are done), so that a client reconnecting does not land on a node about to stop.
   */
  public void refuseNew() {
    stopping = true;
  }

  private static String bearer(String header) {
    return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
  }

  @Override
  public Future<?> stop() {
    for (ServerWebSocket ws : sockets.values()) {
      ws.close((short) 1001, "node stopping");
    }
    return server.close();
  }
}
