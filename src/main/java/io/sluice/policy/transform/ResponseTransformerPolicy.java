package io.sluice.policy.transform;

import io.sluice.config.PluginDef;
import io.sluice.policy.HeaderValues;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.Map;

/**
 * response-transformer: removes, renames, replaces and adds headers of the answer the client gets (the
 * upstream's, or the gateway's own error), in that order.
 */
public final class ResponseTransformerPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("response-transformer", 800, ResponseTransformerPolicy::create);

  private final Transforms t;

  private ResponseTransformerPolicy(Transforms t) {
    this.t = t;
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new ResponseTransformerPolicy(PolicyType.config(plugin, Transforms.class).withoutConnectionHeaders());
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    return CONTINUE;
  }

  @Override
  public void onResponse(PolicyCall call, int status, MultiMap headers) {
    for (String h : t.remove().headerList()) {
      headers.remove(h);
    }
    for (Map.Entry<String, String> e : t.rename().headerMap().entrySet()) {
      var values = headers.getAll(e.getKey());
      if (!values.isEmpty()) {
        headers.remove(e.getKey());
        headers.set(e.getValue(), values);
      }
    }
    for (Map.Entry<String, String> e : t.replace().headerMap().entrySet()) {
      if (headers.contains(e.getKey())) {
        headers.set(e.getKey(), HeaderValues.utf8(e.getValue()));
      }
    }
    for (Map.Entry<String, String> e : t.add().headerMap().entrySet()) {
      if (!headers.contains(e.getKey())) {
        headers.set(e.getKey(), HeaderValues.utf8(e.getValue()));
      }
    }
  }
}
