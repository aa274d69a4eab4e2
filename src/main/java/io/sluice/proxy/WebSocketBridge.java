package io.sluice.proxy;

import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.sluice.stream.export.AccessRecord;
import io.sluice.upstream.Target;
import io.sluice.util.WebSocketProtocolErrors;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.net.HostAndPort;
import java.util.Locale;
import java.util.Set;

/**
 * Proxies a WebSocket upgrade as the HTTP path proxies a request: the same upstream headers (the client's
 * end-to-end headers, X-Forwarded-*, Via, X-Request-Id, then the policies' edits), the same balancing (the
 * consistent-hash key), the response phase of the policies, and at the end of the session one access record
 * and the route's meters (status 101, the session's duration, data frames and payload bytes each way). It
 * connects to a target first (so a dead target is a plain 502, recorded), then accepts the client's upgrade
 * and relays data frames both ways with backpressure; a close on one side closes the other with the same code.
 */
final class WebSocketBridge {

  /** Handshake headers each side negotiates for itself. */
  private static final Set<String> HANDSHAKE = Set.of("host", "sec-websocket-key", "sec-websocket-version",
      "sec-websocket-extensions", "sec-websocket-accept", "sec-websocket-protocol", "content-length");
  private static final int SWITCHING_PROTOCOLS = 101;

  private final ProxyContext ctx;
  private WebSocketClient client;

  WebSocketBridge(ProxyContext ctx) {
    this.ctx = ctx;
  }

  static boolean isUpgrade(HttpServerRequest req) {
    String upgrade = req.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.toLowerCase(Locale.ROOT).equals("websocket");
  }

  /** Bridges the exchange's upgrade (its policies passed) to a target of its route's service. */
  void bridge(Exchange ex) {
    HttpServerRequest req = ex.req;
    Target target = ex.upstream.balancer().select(ex.hashKey, null);
    if (target == null) {
      ex.fail(ProxyError.NO_HEALTHY_TARGET, "no healthy target", false);
      return;
    }
    ex.targetAddress = target.address();
    if (client == null) {
      int max = ctx.websocketMaxFrameBytes();
      client = ctx.vertx().createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(max)
          .setMaxMessageSize(max));
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(target.host()).setPort(target.port())
        .setURI(ex.uri)
        .setConnectTimeout(ex.upstream.timeouts().connectMs());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    Forwarding.requestHeaders(ex, headers);
    headers.forEach((name, value) -> {
      if (!HANDSHAKE.contains(name.toLowerCase(Locale.ROOT))) {
        options.addHeader(name, value);
      }
    });
    // The handshake's Host: the client's with preserve_host, else the target's, an IPv6 literal in brackets (the
    // WebSocket client would write the connect host as it is: Host: ::1:8080, which a server refuses).
    HostAndPort authority = req.authority();
    options.addHeader("Host", ex.route.preserveHost() && authority != null ? authority.toString()
        : target.authorityHost() + ":" + target.port());
    ex.editUpstreamHeaders(options.getHeaders());
    String protocols = req.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      for (String p : protocols.split(",")) {
        options.addSubProtocol(p.trim());
      }
    }
    String unwritable = unwritable(options.getHeaders());
    if (unwritable != null) {
      ex.headRefused(target, "the WebSocket client would refuse the handshake's head: " + unwritable);
      return;
    }
    Future<WebSocket> connecting;
    try {
      connecting = client.connect(options);
    } catch (RuntimeException e) { // refused at once (a control byte in a value), nothing sent
      ex.headRefused(target, "the WebSocket client refused the handshake's head: " + e.getMessage());
      return;
    }
    target.started();
    ex.sentNanos = System.nanoTime();
    // The target's answer to the upgrade within read_ms, as for any request (found from outside: a target that
    // accepted the connection and never answered held the client, and the target's in-flight count, forever).
    long readMs = ex.upstream.timeouts().readMs();
    boolean[] over = new boolean[1];
    long deadline = readMs <= 0 ? -1 : ctx.vertx().setTimer(readMs, id -> {
      over[0] = true;
      target.finished();
      target.breaker().onFailure(System.nanoTime());
      ex.fail(ProxyError.UPSTREAM_TIMEOUT, "no answer to the WebSocket upgrade from " + target.address() + " within "
          + readMs + " ms", false);
    });
    connecting.onComplete(ar -> {
      if (over[0]) {
        if (ar.succeeded()) {
          ar.result().close((short) 1001, "the gateway gave up waiting for the handshake");
        }
        return;
      }
      if (deadline >= 0) {
        ctx.vertx().cancelTimer(deadline);
      }
      if (ar.failed()) {
        target.finished();
        if (ar.cause() instanceof UpgradeRejectedException refused) {
          refused(ex, target, refused);
          return;
        }
        target.breaker().onFailure(System.nanoTime());
        ex.fail(ProxyError.UPSTREAM_ERROR, "WebSocket to " + target.address() + " failed: " + ar.cause().getMessage(),
            false);
        return;
      }
      target.breaker().onSuccess();
      var upstream = ar.result();
      WebSocketProtocolErrors.install(upstream); // a broken frame from the target: a close frame saying why
      // Hold what the target sends (a greeting, say) until the client side is there to take it.
      upstream.pause();
      String chosen = upstream.subProtocol();
      if (chosen != null) {
        // The subprotocol the target chose, of those the client offered (graphql-ws, STOMP, MQTT...): a client that
        // offered some closes a session whose 101 names none.
        req.response().headers().set("Sec-WebSocket-Protocol", chosen);
      }
      ex.onResponse(SWITCHING_PROTOCOLS, req.response().headers());
      req.toWebSocket().onComplete(down -> {
        if (down.failed()) {
          target.finished();
          upstream.close();
          ex.abandoned();
          return;
        }
        ex.sentNanos = System.nanoTime();
        Session s = new Session(ex);
        relay(down.result(), upstream, s, true);
        relay(upstream, down.result(), s, false);
        upstream.endHandler(v -> target.finished());
        upstream.resume();
      });
    });
  }

  /**
   * The target answered the upgrade with something other than 101 (a 401, 403, 404...): that answer is the client's,
   * head and body, through the response phase of the policies, as any answer is. Only a 502, 503 or 504 counts against
   * the target, as on the HTTP path (found from outside: every refusal was a 502 of the gateway and counted as a
   * failure, so any client could open a healthy target's breaker with three refused upgrades).
   */
  private static void refused(Exchange ex, Target target, UpgradeRejectedException refused) {
    int status = refused.getStatus();
    if (status == 502 || status == 503 || status == 504) {
      target.breaker().onFailure(System.nanoTime());
    } else {
      target.breaker().onSuccess();
    }
    HttpServerResponse resp = ex.req.response();
    resp.setStatusCode(status);
    if (refused.getHeaders() != null) {
      HopByHop.copyResponse(refused.getHeaders(), resp.headers());
    }
    resp.headers().remove(HttpHeaders.UPGRADE); // a refusal switches nothing
    resp.putHeader(HeaderNames.X_REQUEST_ID, ex.requestId());
    DateHeader.addIfMissing(resp.headers());
    Buffer body = refused.getBody() == null ? Buffer.buffer() : refused.getBody();
    resp.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
    ex.responded = true;
    ex.onResponse(status, resp.headers());
    resp.end(body);
    ex.done = true;
    ex.record(status);
  }

  /**
   * The first header of {@code headers} Netty's WebSocket handshaker would refuse (a name that is not a token, a value
   * with a control byte, or one starting with a space or a tab, which a request-transformer may be given and the HTTP
   * client writes), or null. Checked before connecting: the handshaker refuses it on the event loop, after the
   * connection opened, and Vert.x (5.0) then never completes the connect (an ERROR line, and the client waiting for its
   * idle timeout). Per upgrade, not per request.
   */
  private static String unwritable(MultiMap headers) {
    for (var h : headers) {
      if (HttpHeaderValidationUtil.validateToken(h.getKey()) >= 0) {
        return "header name '" + h.getKey() + "' is not a token";
      }
      if (!h.getValue().isEmpty() && HttpHeaderValidationUtil.validateValidHeaderValue(h.getValue()) >= 0) {
        return "header " + h.getKey() + "'s value has a control byte, or starts with a space or a tab";
      }
    }
    return null;
  }

  /** One bridged session's counts, on its event loop; recorded once, when the first side closes. */
  private final class Session {
    final Exchange ex;
    long framesIn;
    long framesOut;
    long bytesIn;
    long bytesOut;
    boolean recorded;

    Session(Exchange ex) {
      this.ex = ex;
    }

    void count(WebSocketFrame frame, boolean fromClient) {
      int n = frame.binaryData().length();
      if (fromClient) {
        framesIn++;
        bytesIn += n;
      } else {
        framesOut++;
        bytesOut += n;
      }
    }

    void ended() {
      if (recorded) {
        return;
      }
      recorded = true;
      ex.done = true;
      long now = System.nanoTime();
      long elapsed = now - ex.startNanos;
      long upstreamNanos = now - ex.sentNanos;
      ex.route.meters().record(SWITCHING_PROTOCOLS, elapsed, upstreamNanos);
      ctx.recordAccess(ex, SWITCHING_PROTOCOLS, elapsed, upstreamNanos, bytesIn, bytesOut,
          new AccessRecord.Frames(framesIn, framesOut));
    }
  }

  private static void relay(WebSocketBase from, WebSocketBase to, Session s, boolean fromClient) {
    from.frameHandler(frame -> forward(frame, from, to, s, fromClient));
    from.closeHandler(v -> {
      s.ended();
      if (!to.isClosed()) {
        Short code = from.closeStatusCode();
        if (code != null && code != 1005 && code != 1006) {
          to.close(code, from.closeReason());
        } else if (code == null || code == 1006) {
          // The other side's connection ended without a close frame (reset, or cut for a frame over
          // proxy.websocket_max_frame_bytes): never the normal 1000 here, which would say that all was delivered.
          to.close(INTERNAL_ERROR, "the other side of the gateway closed without a close frame");
        } else {
          to.close();
        }
      }
    });
  }

  /** Close code (RFC 6455 section 7.4.1): the session broke on the other side of the gateway. */
  private static final short INTERNAL_ERROR = 1011;

  private static void forward(WebSocketFrame frame, WebSocketBase from, WebSocketBase to, Session s,
                              boolean fromClient) {
    WebSocketFrameType type = frame.type();
    if (type == WebSocketFrameType.CLOSE || type == WebSocketFrameType.PING || type == WebSocketFrameType.PONG) {
      return;
    }
    s.count(frame, fromClient);
    to.writeFrame(frame);
    if (to.writeQueueFull()) {
      from.pause();
      to.drainHandler(v -> from.resume());
    }
  }
}
