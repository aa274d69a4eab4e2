package io.sluice.stream.serve;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The query of a {@code /v1/stream} request, refused as the admin API refuses one: a parameter the listener does
 * not take, one given twice, or one given empty. Ignored, each did something its client did not ask for: a typo
 * ({@code stauts=5xx}) streamed everything unfiltered, {@code from=earliest&from=latest} silently started at the
 * earliest, {@code route=a&route=b} followed one of the two. Values are checked where they are read.
 */
final class StreamQuery {

  static final Set<String> TAKES = Set.of("token", "cursor", "from", "route", "status");
  /** A WebSocket close reason holds at most 123 bytes: a client's parameter name is cut to fit. */
  private static final int NAME_SHOWN = 32;

  private final Map<String, List<String>> params;

  private StreamQuery(Map<String, List<String>> params) {
    this.params = params;
  }

  /** The query of {@code uri}; {@link IllegalArgumentException}, naming the parameter, when it is refused. */
  static StreamQuery parse(String uri) {
    Map<String, List<String>> q = new QueryStringDecoder(uri).parameters();
    for (Map.Entry<String, List<String>> p : q.entrySet()) {
      String name = p.getKey().length() > NAME_SHOWN ? p.getKey().substring(0, NAME_SHOWN) + "..." : p.getKey();
      if (!TAKES.contains(p.getKey())) {
        throw new IllegalArgumentException("unknown parameter " + name
            + " (the stream takes token, cursor, from, route, status)");
      }
      if (p.getValue().size() > 1) {
        throw new IllegalArgumentException(name + " is given " + p.getValue().size() + " times: give it once");
      }
      if (p.getValue().get(0).isEmpty()) {
        throw new IllegalArgumentException(name + " is empty: give a value, or leave the parameter out");
      }
    }
    return new StreamQuery(q);
  }

  /** The parameter's value, or null when it is not given. */
  String get(String name) {
    List<String> v = params.get(name);
    return v == null ? null : v.get(0);
  }
}
