package io.sluice.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;

/**
 * The heads that cross the proxy: what an upstream request carries besides the client's own headers
 * (X-Forwarded-*, Via, X-Request-Id), and how an upstream answer's head is passed on with framing chosen
 * again for the client's hop. Hop-by-hop filtering itself is {@link HopByHop}.
 */
final class Forwarding {

  private static final String VIA_1_0 = "1.0 sluice";
  private static final String VIA_1_1 = "1.1 sluice";
  /** HTTP/2's version is "2" (RFC 9110 7.6.3 names the protocol the hop received; RFC 9113 calls it HTTP/2). */
  private static final String VIA_2 = "2 sluice";
  private static final CharSequence HTTPS = io.vertx.core.http.HttpHeaders.createOptimized("https");
  private static final CharSequence HTTP = io.vertx.core.http.HttpHeaders.createOptimized("http");

  private Forwarding() {}

  /** Fills {@code out} with the client's end-to-end headers and the proxy's own. */
  static void requestHeaders(Exchange ex, MultiMap out) {
    HttpServerRequest req = ex.req;
    HopByHop.copyRequest(req.headers(), out);
    String clientIp = req.remoteAddress() == null ? null : req.remoteAddress().host();
    String xff = combined(req, HeaderNames.X_FORWARDED_FOR);
    if (clientIp != null) {
      out.set(HeaderNames.X_FORWARDED_FOR, xff == null || xff.isEmpty() ? clientIp : xff + ", " + clientIp);
      out.set(HeaderNames.X_REAL_IP, clientIp); // the peer, as Kong sets it: a client's own is never passed on
    } else {
      out.remove(HeaderNames.X_REAL_IP);
    }
    out.set(HeaderNames.X_FORWARDED_PROTO, ex.tls ? HTTPS : HTTP);
    HostAndPort authority = req.authority();
    String host = authority == null ? null : ex.ctx.forwardedHost(authority);
    if (host != null) {
      out.set(HeaderNames.X_FORWARDED_HOST, host);
    }
    String forwarded = combined(req, HeaderNames.FORWARDED);
    if (forwarded != null) {
      // Appended to, as X-Forwarded-For is (RFC 7239 4): the last element is what Sluice saw, never the client's.
      out.set(HeaderNames.FORWARDED, forwarded + ", " + element(clientIp, ex.tls, host));
    }
    String via = combined(req, HeaderNames.VIA);
    String hop = req.version() == HttpVersion.HTTP_2 ? VIA_2 : req.version() == HttpVersion.HTTP_1_0 ? VIA_1_0 : VIA_1_1;
    out.set(HeaderNames.VIA, via == null ? hop : via + ", " + hop);
    out.set(HeaderNames.X_REQUEST_ID, ex.requestId());
  }

  /**
   * A list header's field lines as one value, joined in order with ", " (RFC 9110 5.3): the first line alone dropped
   * the others (X-Forwarded-For: a, then X-Forwarded-For: b went upstream as "a, CLIENT" while ip-restriction read
   * "a, b"). One line, the usual case, is returned as it is.
   */
  private static String combined(HttpServerRequest req, CharSequence name) {
    String first = req.getHeader(name);
    if (first == null) {
      return null;
    }
    java.util.List<String> all = req.headers().getAll(name);
    return all.size() == 1 ? first : String.join(", ", all);
  }

  /** This hop's Forwarded element (RFC 7239), every value quoted (an IPv6 address, a host with its port). */
  private static String element(String clientIp, boolean tls, String host) {
    StringBuilder b = new StringBuilder(64);
    if (clientIp != null) {
      b.append("for=\"").append(clientIp.indexOf(':') >= 0 ? "[" + clientIp + "]" : clientIp).append("\";");
    }
    if (host != null) {
      b.append("host=\"").append(host).append("\";");
    }
    return b.append("proto=").append(tls ? "https" : "http").toString();
  }

  /** Whether the client said it accepts trailers ({@code TE: trailers}), as gRPC clients do. */
  static boolean acceptsTrailers(HttpServerRequest req) {
    String te = req.getHeader("te");
    return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("trailers");
  }

  /** An HTTP/1.0 client's answer of no declared length: the connection is closed once it is written. */
  static final long DELIMITED_BY_CLOSE = -2;

  /**
   * Sets the client's status and headers from the upstream answer: a declared Content-Length is kept
   * (unless Transfer-Encoding came too), otherwise the body is chunked, or for HTTP/1.0 delimited by close.
   *
   * @return the declared body length, -1 when there is none, or {@link #DELIMITED_BY_CLOSE}
   */
  static long responseHead(HttpServerRequest req, HttpClientResponse up, HttpServerResponse resp,
                           String requestId) {
    int status = up.statusCode();
    if (status != resp.getStatusCode()) {
      // Vert.x looks the status up again on every set (0.8% of the node's CPU in a profile): 200 is already there.
      resp.setStatusCode(status);
    }
    String reason = up.statusMessage();
    if (reason != null && status != 304 && !reason.equals(HttpResponseStatus.valueOf(status).reasonPhrase())) {
      // Only a non-standard phrase is set: the standard one is already encoded once for all responses. Not on a
      // 304: Vert.x knows a 304 by its standard status object, and with another phrase it added Content-Length: 0,
      // which on a 304 claims the size of the representation (RFC 9110 section 8.6). Phrases are informational.
      resp.setStatusMessage(reason);
    }
    HopByHop.copyResponse(up.headers(), resp.headers());
    resp.putHeader(HeaderNames.X_REQUEST_ID, requestId);
    DateHeader.addIfMissing(resp.headers()); // the target sent none: the recipient that forwards it adds it
    String length = up.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && !up.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, length);
      return parseLength(length);
    }
    boolean bodyless = req.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
    if (!bodyless) {
      if (req.version() == HttpVersion.HTTP_1_0) {
        // HTTP/1.0 has no chunked coding: the body ends where the connection does (RFC 9112 section 6.3). Vert.x
        // writes "Connection: keep-alive" to a keep-alive client after these headers, so the close goes after it.
        resp.headersEndHandler(v -> resp.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE));
        return DELIMITED_BY_CLOSE;
      }
      resp.setChunked(true);
    }
    return -1;
  }

  private static long parseLength(String length) {
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
