package io.sluice.policy.cors;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.config.PluginDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * cors: a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered at the gateway, 204
 * with the Access-Control-Allow-* headers for an allowed origin and method, 403 otherwise, and never goes
 * upstream; it runs before authentication, since browsers send preflights without credentials. Other
 * requests from an allowed origin get Access-Control-Allow-Origin (and -Credentials, -Expose-Headers) on
 * the answer, and Vary: Origin.
 */
public final class CorsPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("cors", 2000, CorsPolicy::create);

  /** cors's configuration (schema/policy/cors.json). */
  public record Config(List<String> origins, List<String> methods, List<String> headers,
                       @JsonProperty("exposed_headers") List<String> exposedHeaders, boolean credentials,
                       @JsonProperty("max_age") long maxAge, @JsonProperty("preflight_continue") boolean preflightContinue) {}

  private final Config config;
  private final boolean anyOrigin;
  private final Set<String> origins;
  private final Set<String> methods;
  private final String methodList;

  private CorsPolicy(Config c) {
    this.config = c;
    this.anyOrigin = c.origins().contains("*");
    this.origins = Set.copyOf(c.origins());
    this.methods = c.methods().stream().map(m -> m.toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    this.methodList = String.join(", ", c.methods());
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new CorsPolicy(PolicyType.config(plugin, Config.class));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String origin = call.request().getHeader("Origin");
    String requested = call.request().getHeader("Access-Control-Request-Method");
    boolean preflight = call.request().method() == HttpMethod.OPTIONS && origin != null && requested != null;
    if (!preflight || config.preflightContinue()) {
      return CONTINUE;
    }
    if (!allowed(origin) || !methods.contains(requested.toUpperCase(Locale.ROOT))) {
      return Future.failedFuture(Refusal.forbidden("CORS preflight refused for origin " + origin));
    }
    Verdict answer = Verdict.answer(204);
    answer.header("Access-Control-Allow-Origin", anyOrigin && !config.credentials() ? "*" : origin);
    answer.header("Access-Control-Allow-Methods", methodList);
    String headers = config.headers().isEmpty() ? call.request().getHeader("Access-Control-Request-Headers")
        : String.join(", ", config.headers());
    if (headers != null && !headers.isEmpty()) {
      answer.header("Access-Control-Allow-Headers", headers);
    }
    if (config.credentials()) {
      answer.header("Access-Control-Allow-Credentials", "true");
    }
    if (config.maxAge() > 0) {
      answer.header("Access-Control-Max-Age", Long.toString(config.maxAge()));
    }
    answer.header("Vary", "Origin");
    return Future.succeededFuture(answer);
  }

  @Override
  public void onResponse(PolicyCall call, int status, MultiMap headers) {
    String origin = call.request().getHeader("Origin");
    if (origin == null || !allowed(origin) || headers.contains("Access-Control-Allow-Methods")) {
      if ((!anyOrigin || config.credentials()) && !variesOnOrigin(headers)) {
        // Whether the answer says Access-Control-Allow-Origin depends on the Origin: a shared cache must be told,
        // or a copy made for no Origin (or a refused one) is served to an allowed origin, without the header.
        headers.add("Vary", "Origin");
      }
      return;
    }
    headers.set("Access-Control-Allow-Origin", anyOrigin && !config.credentials() ? "*" : origin);
    if (config.credentials()) {
      headers.set("Access-Control-Allow-Credentials", "true");
    }
    if (!config.exposedHeaders().isEmpty()) {
      headers.set("Access-Control-Expose-Headers", String.join(", ", config.exposedHeaders()));
    }
    headers.add("Vary", "Origin");
  }

  /** Whether the answer already varies on Origin (the preflight's own, the target's, a cached answer's) or on all. */
  private static boolean variesOnOrigin(MultiMap headers) {
    for (String v : headers.getAll("Vary")) {
      for (String name : v.split(",")) {
        String n = name.trim();
        if (n.equalsIgnoreCase("Origin") || n.equals("*")) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean allowed(String origin) {
    return anyOrigin || origins.contains(origin);
  }
}
