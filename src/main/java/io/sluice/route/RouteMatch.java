package io.sluice.route;

import io.sluice.config.PathPattern;

/** The route a request matched, and how much of its path the match consumed (for strip_path). */
public record RouteMatch(Route route, PathPattern.Kind kind, int matchedLength) {

  /** The path to send upstream: the service's base path, then the path with the match stripped if asked. */
  public String upstreamPath(String path) {
    String rest = path;
    if (route.stripPath()) {
      rest = path.substring(Math.min(matchedLength, path.length()));
      if (rest.isEmpty() || rest.charAt(0) != '/') {
        rest = "/" + rest;
      }
    }
    String base = route.upstream().basePath();
    if (base.isEmpty()) {
      return rest;
    }
    return rest.equals("/") ? base : base + rest;
  }
}
