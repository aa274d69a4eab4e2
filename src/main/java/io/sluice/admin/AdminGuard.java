package io.sluice.admin;

import io.sluice.config.FieldError;
import io.sluice.config.InputStrings;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the admin listener refuses before any handler reads a request: writes whose body is not JSON (a
 * browser's cross-site form, {@code text/plain} or multipart, can then never write: CSRF) or says a charset other
 * than UTF-8 or says one twice (it would be read as UTF-8 all the same: 415 instead), query parameters
 * holding control characters or lone surrogates (answered 400 naming the parameter, never stored altered nor
 * a 500 from PostgreSQL), and, when no admin token is set (the listener is loopback-only then), a foreign
 * {@code Origin} or a {@code Host} that is not a loopback name (a page on another site, or a DNS name
 * rebound to 127.0.0.1, driving a local browser against the admin API).
 */
final class AdminGuard {

  /** Bodies the declarative endpoint takes besides JSON. */
  private static final Set<String> YAML = Set.of("application/yaml", "application/x-yaml", "text/yaml");
  /** A PATCH's body besides application/json: a PATCH is a JSON Merge Patch (RFC 7396). */
  private static final String MERGE_PATCH = "application/merge-patch+json";

  private final boolean tokenless;

  AdminGuard(boolean tokenless) {
    this.tokenless = tokenless;
  }

  void handle(RoutingContext rc) {
    HttpServerRequest req = rc.request();
    if (tokenless) {
      String problem = foreign(req);
      if (problem != null) {
        Replies.error(rc, 403, "forbidden", problem);
        return;
      }
    }
    FieldError undecodable = Strings.rawQueryProblem(req.query());
    if (undecodable != null) {
      Replies.error(rc, ApiException.invalid(java.util.List.of(undecodable)));
      return;
    }
    for (Map.Entry<String, String> p : rc.queryParams()) {
      String why = InputStrings.problem(p.getValue(), false);
      if (why != null) {
        Replies.error(rc, ApiException.invalid(java.util.List.of(new io.sluice.config.FieldError(p.getKey(), why))));
        return;
      }
    }
    HttpMethod m = req.method();
    boolean write = m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH || m == HttpMethod.DELETE;
    if (write && hasBody(req) && !acceptedType(req)) {
      Replies.error(rc, 415, "unsupported_media_type", "a request body must be application/json"
          + (req.path().equals("/config") ? " (or application/yaml)" : "")
          + (req.method() == HttpMethod.PATCH ? " (or application/merge-patch+json)" : "") + "; got "
          + (req.getHeader("Content-Type") == null ? "none" : "'" + req.getHeader("Content-Type") + "'"));
      return;
    }
    List<String> charsets = write && hasBody(req) ? charsets(req.getHeader("Content-Type")) : List.of();
    if (charsets.size() > 1) {
      // Which one counts is for each parser to decide: refused, never read by one of them.
      Replies.error(rc, 415, "unsupported_media_type", "a request body must be UTF-8, said once; got charset '"
          + String.join("' and '", charsets) + "'");
      return;
    }
    String charset = charsets.isEmpty() ? null : charsets.get(0);
    if (charset != null && !isUtf8(charset)) {
      Replies.error(rc, 415, "unsupported_media_type", "a request body must be UTF-8; got charset '" + charset
          + "' (leave the parameter out, or say charset=utf-8)");
      return;
    }
    rc.next();
  }

  /** The charset parameters of a Content-Type (unquoted), in order: none, one, or (refused) more. */
  private static List<String> charsets(String type) {
    List<String> found = new ArrayList<>();
    String[] parts = type == null ? new String[0] : type.split(";");
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        String v = p.substring(eq + 1).trim();
        found.add(v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v);
      }
    }
    return found;
  }

  /** UTF-8 by any of its names (utf-8, UTF8); every body is read as UTF-8 ({@link Strings#utf8}). */
  private static boolean isUtf8(String charset) {
    try {
      return java.nio.charset.Charset.forName(charset).equals(java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false; // an illegal or unknown name
    }
  }

  private static boolean hasBody(HttpServerRequest req) {
    String length = req.getHeader("Content-Length");
    return req.getHeader("Transfer-Encoding") != null || length != null && !length.trim().equals("0");
  }

  private static boolean acceptedType(HttpServerRequest req) {
    String type = req.getHeader("Content-Type");
    if (type == null) {
      return false;
    }
    // JSON; a PATCH's JSON Merge Patch (RFC 7396) by its own type too. Any other +json type (a JSON Patch,
    // application/json-patch+json, RFC 6902) means something else than what the admin API would read it as.
    String media = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return media.equals("application/json") || req.method() == HttpMethod.PATCH && media.equals(MERGE_PATCH)
        || req.path().equals("/config") && YAML.contains(media);
  }

  /** Why a request to a token-less admin listener looks like it comes from elsewhere, or null. */
  private static String foreign(HttpServerRequest req) {
    String host = req.getHeader("Host");
    String hostName = host == null ? null : hostName(host);
    if (hostName != null && !loopback(hostName)) {
      return "Host '" + host + "' is not this node's loopback address (set admin.token to serve other names)";
    }
    String origin = req.getHeader("Origin");
    if (origin != null && !origin.equals("null")) {
      String originHost = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
      if (!loopback(hostName(originHost)) || host == null || !originHost.equalsIgnoreCase(host)) {
        return "cross-origin request from " + origin + " refused (set admin.token to allow browsers)";
      }
    } else if (origin != null) {
      return "cross-origin request from an opaque origin refused";
    }
    return null;
  }

  private static String hostName(String hostAndPort) {
    if (hostAndPort.startsWith("[")) {
      int end = hostAndPort.indexOf(']');
      return end < 0 ? hostAndPort : hostAndPort.substring(1, end);
    }
    int colon = hostAndPort.lastIndexOf(':');
    return colon < 0 ? hostAndPort : hostAndPort.substring(0, colon);
  }

  /** localhost, or an IP literal of the loopback range; never a name that would need DNS. */
  private static boolean loopback(String name) {
    if (name.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!name.matches("[0-9.]+|[0-9a-fA-F:]+")) {
      return false;
    }
    try {
      return InetAddress.getByName(name).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
