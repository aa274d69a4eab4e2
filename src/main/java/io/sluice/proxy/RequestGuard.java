package io.sluice.proxy;

import io.sluice.util.Hosts;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;

/**
 * Refuses request framing that two parsers could read differently (request smuggling): a body length given
 * twice, or a Transfer-Encoding other than exactly {@code chunked}; and a request whose host is ambiguous: no
 * Host in HTTP/1.1, a malformed one, or an absolute-form target naming another authority than Host (RFC 9112
 * 3.2). Such a request never reaches a target.
 */
final class RequestGuard {

  private RequestGuard() {}

  /** Why the request's framing is refused, or null when it is unambiguous. */
  static String problem(MultiMap headers) {
    boolean hasTe = headers.contains(HttpHeaders.TRANSFER_ENCODING);
    boolean hasCl = headers.contains(HttpHeaders.CONTENT_LENGTH);
    if (!hasTe && !hasCl) {
      return null; // most requests: nothing to check, and no lists to build
    }
    List<String> te = hasTe ? headers.getAll(HttpHeaders.TRANSFER_ENCODING) : List.of();
    List<String> cl = hasCl ? headers.getAll(HttpHeaders.CONTENT_LENGTH) : List.of();
    if (!te.isEmpty() && !cl.isEmpty()) {
      return "both Content-Length and Transfer-Encoding";
    }
    if (te.size() > 1 || (te.size() == 1 && !te.get(0).equalsIgnoreCase("chunked"))) {
      return "Transfer-Encoding must be exactly 'chunked'";
    }
    if (cl.size() > 1) {
      return "more than one Content-Length";
    }
    if (cl.size() == 1) {
      String v = cl.get(0);
      if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return "Content-Length is not a decimal number";
      }
    }
    return null;
  }

  /**
   * Why the request-target is refused, or null: a fragment ({@code #}) is never part of one (RFC 9112 3.2, RFC 9113
   * 8.3.1); read as a path character it would hide {@code /../} from the route ({@code /api/admin#/../x}). Nor is a
   * control, space or non-ASCII character, in the path or the query (RFC 3986 2: they must be percent-encoded).
   * HTTP/1.1's decoder refuses those in the request line already; an HTTP/2 {@code :path} arrives as any bytes
   * HPACK carries, and the HTTP/1.1 request line it becomes would be broken (a space) or re-encoded.
   */
  static String targetProblem(String uri) {
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '#') {
        return "a fragment (#) in the request-target";
      }
      if (c <= 0x20 || c >= 0x7f) {
        return "a control, space or non-ASCII byte 0x" + Integer.toHexString(c & 0xff)
            + " in the request-target (it must be percent-encoded)";
      }
    }
    return null;
  }

  /**
   * Why the request's Host is refused, or null. HTTP/2 has :authority instead; a Host beside it that names another
   * authority makes the request malformed (RFC 9113 8.3.1): two parsers could route it differently. Without either
   * it is refused as HTTP/1.1 without Host is; and a :scheme other than http or https names nothing Sluice serves.
   */
  static String hostProblem(HttpServerRequest req) {
    HttpVersion version = req.version();
    if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
      if (req.method() == HttpMethod.CONNECT) { // no :path: nothing after this applies
        return "CONNECT is not proxied: Sluice is a reverse proxy, not a forward one";
      }
      String scheme = req.scheme();
      if (!"http".equals(scheme) && !"https".equals(scheme)) {
        return ":scheme must be http or https";
      }
      String host = req.getHeader(HttpHeaders.HOST);
      if (req.authority() == null) {
        // Vert.x refuses an :authority it cannot parse; here there was none.
        return host == null ? "an :authority or Host is required"
            : validAuthority(host) ? null : "malformed Host header";
      }
      if (host != null && !sameAuthority(host, req.authority().toString())) {
        return ":authority and Host differ";
      }
      return validHost(req.authority().host()) ? null : "malformed :authority";
    }
    String host = req.getHeader(HttpHeaders.HOST);
    if (host == null) {
      return version == HttpVersion.HTTP_1_1 ? "a Host header is required" : null;
    }
    if (!validAuthority(host)) {
      return "malformed Host header";
    }
    String uri = req.uri();
    if (!uri.isEmpty() && uri.charAt(0) != '/') {
      if (uri.equals("*")) {
        return "the asterisk-form request-target (OPTIONS *) is not proxied";
      }
      if (req.method() == HttpMethod.CONNECT) {
        return "CONNECT is not proxied: Sluice is a reverse proxy, not a forward one";
      }
      String authority = authorityOf(uri);
      if (authority == null || !sameAuthority(authority, host)) {
        return "the request-target's authority and Host differ";
      }
    }
    return null;
  }

  /**
   * Whether two authorities (host[:port]) name the same host and port, the host names compared as routes match them
   * ({@link Hosts#canonical}): {@code http://b.test./x} with {@code Host: b.test} names one host, not two.
   */
  static boolean sameAuthority(String a, String b) {
    if (a.equalsIgnoreCase(b)) {
      return true;
    }
    int pa = portStart(a);
    int pb = portStart(b);
    return a.substring(pa).equals(b.substring(pb))
        && Hosts.canonical(a.substring(0, pa)).equals(Hosts.canonical(b.substring(0, pb)));
  }

  /** Where the ":port" of an authority starts (its length when it has none); an IPv6 literal's colons are skipped. */
  private static int portStart(String authority) {
    int colon = authority.indexOf(':', authority.startsWith("[") ? Math.max(authority.indexOf(']'), 0) : 0);
    return colon < 0 ? authority.length() : colon;
  }

  /** The authority of an absolute-form request-target (scheme://authority/...), or null. */
  private static String authorityOf(String uri) {
    int scheme = uri.indexOf("://");
    if (scheme <= 0) {
      return null;
    }
    int start = scheme + 3;
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    String authority = uri.substring(start, end);
    return authority.indexOf('@') >= 0 ? null : authority;
  }

  /** An :authority's host as Vert.x parsed it (an IPv6 literal with or without its brackets): see validAuthority. */
  private static boolean validHost(String host) {
    return host != null && validAuthority(host.indexOf(':') >= 0 && host.charAt(0) != '[' ? "[" + host + "]" : host);
  }

  /**
   * host [":" port], with host a bracketed IPv6 literal or a name of letters, digits, '-', '.' and '_' without an empty
   * label (an IPv4 address is one). RFC 3986's reg-name allows more ('%' escapes, ',', '!', '~'...), but no route host
   * can hold them, and a host-bound route must not be escaped by a Host its matching does not read as its own
   * ({@code secure.test,other}, {@code secure.test%2e}): refused, as nginx refuses them.
   */
  static boolean validAuthority(String a) {
    int n = a.length();
    if (n == 0 || n > 262) {
      return false;
    }
    int i = 0;
    if (a.charAt(0) == '[') {
      int end = a.indexOf(']');
      if (end < 2) {
        return false;
      }
      for (int j = 1; j < end; j++) {
        char c = a.charAt(j);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
          return false;
        }
      }
      i = end + 1;
    } else {
      while (i < n && a.charAt(i) != ':') {
        char c = a.charAt(i);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
            || c == '_')) {
          return false;
        }
        if (c == '.' && (i == 0 || a.charAt(i - 1) == '.')) {
          return false; // an empty label (.b.test, b.test..): no name of a route, as nginx refuses it
        }
        i++;
      }
      if (i == 0) {
        return false;
      }
    }
    if (i == n) {
      return true;
    }
    if (a.charAt(i) != ':' || n - i - 1 < 1 || n - i - 1 > 5) {
      return false;
    }
    int port = 0;
    for (int j = i + 1; j < n; j++) {
      char c = a.charAt(j);
      if (c < '0' || c > '9') {
        return false;
      }
      port = port * 10 + (c - '0');
    }
    return port <= 65535;
  }
}
