package io.sluice.util;

import io.netty.util.AsciiString;

/**
 * The one list of headers that belong to a connection rather than to a message: the hop-by-hop headers of
 * RFC 9110 7.6.1 (the proxy removes them in both directions) and the framing headers (the proxy chooses the
 * framing again for each hop). The proxy strips them with it, and the transformers and correlation-id's
 * {@code header_name} are refused them with it, so that no configuration can put a second framing or a
 * connection option on the wire.
 */
public final class ConnectionHeaders {

  private ConnectionHeaders() {}

  /** Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade. */
  public static boolean isHopByHop(CharSequence name) {
    return switch (name.length()) {
      case 2 -> is(name, "te");
      case 7 -> is(name, "trailer") || is(name, "upgrade");
      case 10 -> is(name, "connection") || is(name, "keep-alive");
      case 16 -> is(name, "proxy-connection");
      case 17 -> is(name, "transfer-encoding");
      case 18 -> is(name, "proxy-authenticate");
      case 19 -> is(name, "proxy-authorization");
      default -> false;
    };
  }

  /** Content-Length: set by whoever writes the hop, from the framing it chose. */
  public static boolean isContentLength(CharSequence name) {
    return name.length() == 14 && is(name, "content-length");
  }

  /**
   * Why a header transformer may not name {@code name} (remove, rename from or to, replace, add), nor
   * correlation-id write it, or null when it may: hop-by-hop headers and Content-Length are the proxy's to
   * choose on each hop, and Host is chosen by the proxy for the upstream request (the target's address, or the
   * client's with {@code preserve_host}) and means nothing on an answer.
   */
  public static String transformRefusal(CharSequence name) {
    if (isHopByHop(name)) {
      return "is a hop-by-hop header: it describes one connection, and the proxy never passes it on";
    }
    if (isContentLength(name)) {
      return "is a framing header: the proxy chooses the framing again for each hop";
    }
    if (name.length() == 4 && is(name, "host")) {
      return "is chosen by the proxy (the target's address, or the client's Host with preserve_host)";
    }
    return null;
  }

  private static boolean is(CharSequence name, String lower) {
    return AsciiString.contentEqualsIgnoreCase(name, lower);
  }
}
