package io.sluice.proxy;

import io.sluice.upstream.Target;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import java.util.Locale;
import java.util.Set;

/**
 * Proxies a WebSocket upgrade: connects to a target first (so a dead target is a plain 502), then accepts
 * the client's upgrade and relays data frames both ways with backpressure; a close on one side closes the
 * other with the same code.
 */
final class WebSocketBridge {

  /** Handshake headers each side negotiates for itself. */
  private static final Set<String> HANDSHAKE = Set.of("host", "sec-websocket-key", "sec-websocket-version",
      "sec-websocket-extensions", "sec-websocket-accept", "sec-websocket-protocol", "content-length");

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
    String requestId = ex.requestId();
    Target target = ex.upstream.balancer().select(null, null);
    if (target == null) {
      ProxyError.NO_HEALTHY_TARGET.send(req, requestId, "no healthy target", false);
      return;
    }
    if (client == null) {
      client = ctx.vertx().createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20));
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(target.host()).setPort(target.port())
        .setURI(ex.uri)
        .setConnectTimeout(ex.upstream.timeouts().connectMs());
    req.headers().forEach((name, value) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!HANDSHAKE.contains(lower) && !lower.equals("connection") && !lower.equals("upgrade")
          && !HopByHop.claimsIdentity(lower)) {
        options.addHeader(name, value);
      }
    });
    options.putHeader("X-Request-Id", requestId);
    ex.editUpstreamHeaders(options.getHeaders());
    String protocols = req.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      for (String p : protocols.split(",")) {
        options.addSubProtocol(p.trim());
      }
    }
    target.started();
    client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        target.finished();
        target.breaker().onFailure(System.nanoTime());
        ProxyError.UPSTREAM_ERROR.send(req, requestId,
            "WebSocket to " + target.address() + " failed: " + ar.cause().getMessage(), false);
        return;
      }
      target.breaker().onSuccess();
      var upstream = ar.result();
      // Hold what the target sends (a greeting, say) until the client side is there to take it.
      upstream.pause();
      req.toWebSocket().onComplete(down -> {
        if (down.failed()) {
          target.finished();
          upstream.close();
          return;
        }
        relay(down.result(), upstream);
        relay(upstream, down.result());
        upstream.endHandler(v -> target.finished());
        upstream.resume();
      });
    });
  }

  private static void relay(WebSocketBase from, WebSocketBase to) {
    from.frameHandler(frame -> forward(frame, from, to));
    from.closeHandler(v -> {
      if (!to.isClosed()) {
        Short code = from.closeStatusCode();
        if (code != null && code != 1005 && code != 1006) {
          to.close(code, from.closeReason());
        } else {
          to.close();
        }
      }
    });
  }

  private static void forward(WebSocketFrame frame, WebSocketBase from, WebSocketBase to) {
    WebSocketFrameType type = frame.type();
    if (type == WebSocketFrameType.CLOSE || type == WebSocketFrameType.PING || type == WebSocketFrameType.PONG) {
      return;
    }
    to.writeFrame(frame);
    if (to.writeQueueFull()) {
      from.pause();
      to.drainHandler(v -> from.resume());
    }
  }
}
