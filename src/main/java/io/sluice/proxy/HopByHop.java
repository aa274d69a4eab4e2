package io.sluice.proxy;

import io.netty.util.AsciiString;
import io.sluice.util.ConnectionHeaders;
import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.headers.HeadersAdaptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection and never cross the proxy. Runs for
 * every header of every request and response, so it copies in one pass, compares names in place (length
 * first, then ignoring case), and handles the Connection header's list only when it names other headers.
 */
final class HopByHop {

  private HopByHop() {}

  /**
   * Copies a client's request headers for the target, less hop-by-hop headers, those named by Connection,
   * and those the proxy sets itself (Host, Content-Length, X-Forwarded-*, X-Request-Id). {@code to} must
   * hold no header yet.
   */
  static void copyRequest(MultiMap from, MultiMap to) {
    copy(from, to, true);
  }

  /**
   * Copies a target's response headers for the client, less hop-by-hop headers, those named by Connection,
   * and Content-Length (the framing is chosen again). {@code to} must hold no header yet.
   */
  static void copyResponse(MultiMap from, MultiMap to) {
    copy(from, to, false);
  }

  /**
   * Every header that is neither hop-by-hop nor set by the proxy is copied and the Connection values are
   * kept aside; then the headers those values name are taken out again (rare: Connection usually says only
   * keep-alive or close).
   */
  private static void copy(MultiMap from, MultiMap to, boolean request) {
    Connection connection = new Connection();
    io.netty.handler.codec.http.HttpHeaders netty = nettyHeaders(from);
    if (netty != null) {
      // The decoder's own header map: its entries as they are, without a String copy of every name.
      Iterator<Map.Entry<CharSequence, CharSequence>> it = netty.iteratorCharSequence();
      while (it.hasNext()) {
        Map.Entry<CharSequence, CharSequence> e = it.next();
        copyOne(e.getKey(), e.getValue(), to, request, connection);
      }
    } else {
      from.forEach((name, value) -> copyOne(name, value, to, request, connection));
    }
    if (connection.values != null) {
      for (String v : connection.values) {
        removeNamed(v, to);
      }
    }
  }

  /**
   * Vert.x's HTTP/1.x client answers wrap Netty's header map in a {@code HeadersAdaptor} whose iteration makes a
   * String of every name and an entry object per header; the map inside is read directly. Null when the
   * adaptor's layout changed (a Vert.x upgrade): the copy then goes through the MultiMap, as before.
   */
  private static final VarHandle ADAPTED = adaptedHeaders();

  private static VarHandle adaptedHeaders() {
    try {
      return MethodHandles.privateLookupIn(HeadersAdaptor.class, MethodHandles.lookup())
          .findVarHandle(HeadersAdaptor.class, "headers", io.netty.handler.codec.http.HttpHeaders.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** The Netty header map behind {@code m} (Vert.x's own map is one; an adaptor holds one), or null. */
  static io.netty.handler.codec.http.HttpHeaders nettyHeaders(MultiMap m) {
    if (m instanceof io.netty.handler.codec.http.HttpHeaders netty) {
      return netty;
    }
    if (ADAPTED != null && m instanceof HeadersAdaptor adaptor) {
      return (io.netty.handler.codec.http.HttpHeaders) ADAPTED.get(adaptor); // the exact types: no adaptation per call
    }
    return null;
  }

  /** The Connection header values met while copying. */
  private static final class Connection {
    List<String> values;
  }

  private static void copyOne(CharSequence name, CharSequence value, MultiMap to, boolean request,
                              Connection connection) {
    if (isHopByHop(name)) {
      if (name.length() == 10 && is(name, "connection")) {
        if (connection.values == null) {
          connection.values = new ArrayList<>(1);
        }
        connection.values.add(value.toString());
      }
    } else if (!(request ? setByProxy(name) || claimsIdentity(name) || aliasesOwn(name) : isFraming(name))) {
      to.add(name, value);
    }
  }

  /**
   * A request header spelled with underscores for one the proxy owns ({@code X_Real_IP}, {@code X_Forwarded_Host},
   * {@code Transfer_Encoding}, {@code Content_Length}...): servers that read headers as CGI variables (WSGI, PHP,
   * nginx with underscores_in_headers) take it for that header, so a client could set what the proxy replaces, or frame
   * the body twice. Dropped, as the header itself would be; other names with underscores pass.
   */
  private static boolean aliasesOwn(CharSequence name) {
    if (AsciiString.indexOf(name, '_', 0) < 0) {
      return false;
    }
    String folded = name.toString().replace('_', '-');
    return isHopByHop(folded) || setByProxy(folded) || is(folded, "x-real-ip") || is(folded, "forwarded")
        || is(folded, "via");
  }

  /** Removes from {@code to} every header named in one Connection value (a comma-separated token list). */
  private static void removeNamed(String value, MultiMap to) {
    int n = value.length();
    int i = 0;
    while (i < n) {
      int end = value.indexOf(',', i);
      if (end < 0) {
        end = n;
      }
      int from = i;
      int until = end;
      while (from < until && isSpace(value.charAt(from))) {
        from++;
      }
      while (until > from && isSpace(value.charAt(until - 1))) {
        until--;
      }
      if (until > from) {
        String token = value.substring(from, until);
        if (!isHopByHop(token)) { // those were never copied
          to.remove(token);
        }
      }
      i = end + 1;
    }
  }

  /** The list is {@link ConnectionHeaders}'s: the transformers are refused the same names. */
  static boolean isHopByHop(CharSequence name) {
    return ConnectionHeaders.isHopByHop(name);
  }

  /** Request headers set by the proxy itself, not copied from the client. */
  private static boolean setByProxy(CharSequence name) {
    return switch (name.length()) {
      case 4 -> is(name, "host");
      case 6 -> is(name, "expect"); // answered here (Exchange.forward), never asked of the target again
      case 12 -> is(name, "x-request-id");
      case 14 -> is(name, "content-length");
      case 15 -> is(name, "x-forwarded-for");
      case 16 -> is(name, "x-forwarded-host");
      case 17 -> is(name, "x-forwarded-proto");
      default -> false;
    };
  }

  /**
   * Headers that would tell the target who called (X-Consumer-ID, -Username, -Groups, -Custom-ID..., and the mtls
   * policy's X-Client-Cert-Subject): only the policies set them, so a client's own are never passed on, whatever the
   * route. Underscores count as dashes, since some servers (CGI, WSGI, nginx with underscores_in_headers) read them so.
   */
  static boolean claimsIdentity(CharSequence name) {
    return name.length() > CONSUMER.length() && startsFolded(name, CONSUMER)
        || name.length() == CERT_SUBJECT.length() && startsFolded(name, CERT_SUBJECT);
  }

  private static final String CONSUMER = "x-consumer-";
  /** The mtls policy's default header (a route's own name is replaced on that route, see MtlsPolicy). */
  private static final String CERT_SUBJECT = "x-client-cert-subject";

  private static boolean startsFolded(CharSequence name, String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      char c = Character.toLowerCase(name.charAt(i));
      if (c == '_') {
        c = '-';
      }
      if (c != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Response headers the server sets itself from the framing it chooses. */
  private static boolean isFraming(CharSequence name) {
    return ConnectionHeaders.isContentLength(name);
  }

  private static boolean is(CharSequence name, String lower) {
    return AsciiString.contentEqualsIgnoreCase(name, lower);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }
}
