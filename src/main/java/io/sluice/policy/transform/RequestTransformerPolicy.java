package io.sluice.policy.transform;

import io.sluice.config.PluginDef;
import io.sluice.policy.HeaderValues;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * request-transformer: removes, renames, replaces and adds headers and query parameters of the request that
 * goes upstream (in that order; see {@link Transforms}). Query values kept go upstream byte for byte; values
 * written by the policy are percent-encoded, header values it writes go as their UTF-8 bytes ({@link HeaderValues}).
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

  private String query(String query) {
    List<String[]> params = new ArrayList<>();
    if (query != null && !query.isEmpty()) {
      for (String part : query.split("&")) {
        if (!part.isEmpty()) {
          int eq = part.indexOf('=');
          params.add(eq < 0 ? new String[] {part, null} : new String[] {part.substring(0, eq), part.substring(eq + 1)});
        }
      }
    }
    params.removeIf(p -> t.remove().queryList().contains(p[0]));
    for (String[] p : params) {
      String renamed = t.rename().queryMap().get(p[0]);
      if (renamed != null) {
        p[0] = enc(renamed);
      }
    }
    for (Map.Entry<String, String> e : t.replace().queryMap().entrySet()) {
      for (String[] p : params) {
        if (p[0].equals(e.getKey())) {
          p[1] = enc(e.getValue());
        }
      }
    }
    for (Map.Entry<String, String> e : t.add().queryMap().entrySet()) {
      if (params.stream().noneMatch(p -> p[0].equals(e.getKey()))) {
        params.add(new String[] {enc(e.getKey()), enc(e.getValue())});
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] p : params) {
      if (b.length() > 0) {
        b.append('&');
      }
      b.append(p[0]);
      if (p[1] != null) {
        b.append('=').append(p[1]);
      }
    }
    return b.toString();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
