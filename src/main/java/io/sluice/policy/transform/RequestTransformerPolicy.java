package io.sluice.policy.transform;

import io.sluice.config.PluginDef;
import io.sluice.policy.HeaderValues;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.QueryStrings;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * request-transformer: removes, renames, replaces and adds headers and query parameters of the request that
 * goes upstream (in that order; see {@link Transforms}). Query parameters kept go upstream byte for byte (empty
 * segments included); names and values written by the policy are percent-encoded (a space as %20), header values
 * it writes go as their UTF-8 bytes ({@link HeaderValues}).
 */
public final class RequestTransformerPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("request-transformer", 801, RequestTransformerPolicy::create);

  private final Transforms t;
  private final boolean touchesQuery;

  private RequestTransformerPolicy(Transforms t) {
    this.t = t;
    this.touchesQuery = !t.remove().queryList().isEmpty() || !t.rename().queryMap().isEmpty()
        || !t.replace().queryMap().isEmpty() || !t.add().queryMap().isEmpty();
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new RequestTransformerPolicy(PolicyType.config(plugin, Transforms.class).withoutConnectionHeaders());
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    for (String h : t.remove().headerList()) {
      call.removeUpstreamHeader(h);
    }
    for (Map.Entry<String, String> e : t.rename().headerMap().entrySet()) {
      List<String> lines = call.upstreamHeaders(e.getKey()); // every field line: a renamed header keeps them all
      if (!lines.isEmpty()) {
        call.removeUpstreamHeader(e.getKey());
        call.setUpstreamHeaders(e.getValue(), lines);
      }
    }
    for (Map.Entry<String, String> e : t.replace().headerMap().entrySet()) {
      if (call.upstreamHeader(e.getKey()) != null) {
        call.setUpstreamHeader(e.getKey(), HeaderValues.utf8(e.getValue()));
      }
    }
    for (Map.Entry<String, String> e : t.add().headerMap().entrySet()) {
      if (call.upstreamHeader(e.getKey()) == null) {
        call.setUpstreamHeader(e.getKey(), HeaderValues.utf8(e.getValue()));
      }
    }
    if (touchesQuery) {
      call.query(query(call.query()));
    }
    return CONTINUE;
  }

  /**
   * The query edited. It is cut at each {@code &}, and names are compared decoded ({@code tr%61ce} is {@code trace}):
   * a segment the policy does not touch goes upstream as sent, in its place, an empty one ({@code x=1&&y=2}) too; a
   * removed one goes with its separator. Names and values the policy writes are percent-encoded ({@link QueryStrings#encode}).
   */
  private String query(String query) {
    List<String> segments = new ArrayList<>();
    if (query != null && !query.isEmpty()) {
      for (String segment : query.split("&", -1)) {
        if (!t.remove().queryList().contains(name(segment))) {
          segments.add(segment);
        }
      }
    }
    for (int i = 0; i < segments.size(); i++) {
      String segment = segments.get(i);
      String renamed = t.rename().queryMap().get(name(segment));
      if (renamed != null) {
        int eq = segment.indexOf('=');
        segments.set(i, QueryStrings.encode(renamed) + (eq < 0 ? "" : segment.substring(eq))); // the value as sent
      }
    }
    for (Map.Entry<String, String> e : t.replace().queryMap().entrySet()) {
      for (int i = 0; i < segments.size(); i++) {
        if (name(segments.get(i)).equals(e.getKey())) {
          segments.set(i, QueryStrings.encode(e.getKey()) + "=" + QueryStrings.encode(e.getValue()));
        }
      }
    }
    for (Map.Entry<String, String> e : t.add().queryMap().entrySet()) {
      if (segments.stream().noneMatch(segment -> name(segment).equals(e.getKey()))) {
        segments.add(QueryStrings.encode(e.getKey()) + "=" + QueryStrings.encode(e.getValue()));
      }
    }
    return String.join("&", segments);
  }

  /** A segment's name as the target reads it, decoded ({@link QueryStrings#name}). */
  private static String name(String segment) {
    return QueryStrings.name(segment);
  }
}
