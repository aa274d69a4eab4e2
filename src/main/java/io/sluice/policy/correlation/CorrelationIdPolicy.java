package io.sluice.policy.correlation;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.config.PluginDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Verdict;
import io.sluice.util.ConnectionHeaders;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * correlation-id: the request carries an id in {@code header_name} upstream, the client's own when it sent
 * one, a new one otherwise (a UUID, or the gateway's request id); echoed on the answer when asked. It runs
 * first, so that even refused requests answer with it. A {@code header_name} the proxy owns (hop-by-hop,
 * Content-Length, Host: {@link ConnectionHeaders#transformRefusal}) is refused when written and when read from
 * the store; built from one all the same, the policy writes nothing, as the transformers drop such names.
 */
public final class CorrelationIdPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("correlation-id", 2100, CorrelationIdPolicy::create);

  /** correlation-id's configuration (schema/policy/correlation-id.json). */
  public record Config(@JsonProperty("header_name") String headerName, String generator,
                       @JsonProperty("echo_downstream") boolean echoDownstream) {}

  private final Config config;
  /** False when {@code header_name} is the proxy's own: the policy then writes no header. */
  private final boolean writes;

  private CorrelationIdPolicy(Config config) {
    this.config = config;
    this.writes = ConnectionHeaders.transformRefusal(config.headerName()) == null;
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new CorrelationIdPolicy(PolicyType.config(plugin, Config.class));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    if (!writes) {
      return CONTINUE;
    }
    String id = call.request().getHeader(config.headerName());
    if (id == null || id.isBlank() || id.length() > 200) {
      if ("request-id".equals(config.generator())) {
        id = call.requestId();
      } else {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        id = new UUID((r.nextLong() & ~0xf000L) | 0x4000L, (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L)
            .toString();
      }
      call.setUpstreamHeader(config.headerName(), id);
    }
    if (config.echoDownstream()) {
      call.setResponseHeader(config.headerName(), id);
    }
    return CONTINUE;
  }

  @Override
  public void onResponse(PolicyCall call, int status, MultiMap headers) {}
}
