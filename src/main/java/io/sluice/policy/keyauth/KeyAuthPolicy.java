package io.sluice.policy.keyauth;

import io.micrometer.core.instrument.Counter;
import io.sluice.config.PluginDef;
import io.sluice.credential.ApiKeys;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.credential.Consumer;
import io.sluice.policy.Consumers;
import io.sluice.policy.InvalidConsumers;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.QueryStrings;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * key-auth: the API key from a header or a query parameter, looked up by its HMAC digest through the
 * consumer directory. No key, an unknown key or a key of another tenant's consumer than the route's answers
 * 401 (the last two alike); a directory that cannot answer 503 (a valid key
 * must never be told it is invalid); a consumer stored in a form the admin API refuses 500
 * ({@link InvalidConsumers}). The key never goes upstream: its header and query parameter are removed.
 */
public final class KeyAuthPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("key-auth", 1250, KeyAuthPolicy::create);
  private static final String CHALLENGE = "Key realm=\"sluice\"";
  private static final String INVALID = "invalid API key";

  private final List<String> names;
  private final boolean inHeader;
  private final boolean inQuery;
  private final ConsumerDirectory directory;
  private final ApiKeys.Digester digester;
  private final Counter crossTenant;
  private final InvalidConsumers invalidConsumers;

  private KeyAuthPolicy(KeyAuthConfig config, ConsumerDirectory directory, String secret, Counter crossTenant,
                        InvalidConsumers invalidConsumers) {
    this.crossTenant = crossTenant;
    this.invalidConsumers = invalidConsumers;
    this.names = List.copyOf(config.keyNames());
    this.inHeader = config.keyInHeader();
    this.inQuery = config.keyInQuery();
    this.directory = directory;
    this.digester = new ApiKeys.Digester(secret);
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    if (services.consumers() == null) {
      throw new IllegalArgumentException("key-auth needs the consumer directory (pg.url)");
    }
    return new KeyAuthPolicy(PolicyType.config(plugin, KeyAuthConfig.class), services.consumers(),
        services.hmacSecret(), Consumers.crossTenant(services.registry(), "api_key"), InvalidConsumers.of(services));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String key = null;
    if (inHeader) {
      for (String name : names) {
        String v = call.request().getHeader(name);
        if (v != null) {
          call.removeUpstreamHeader(name);
          if (key == null && !v.isBlank()) {
            key = v.trim();
          }
        }
      }
    }
    if (inQuery && call.query() != null) {
      String[] found = new String[1];
      String rest = QueryStrings.without(call.query(), names, found);
      if (found[0] != null) {
        call.query(rest);
        if (key == null && !found[0].isBlank()) {
          key = URLDecoder.decode(found[0], StandardCharsets.UTF_8);
        }
      }
    }
    if (key == null) {
      return Future.failedFuture(Refusal.unauthorized("no API key found in the request", CHALLENGE));
    }
    byte[] digest = digester.digest(key);
    return directory.byKeyDigest(digest).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(Refusal.unavailable("the consumer directory is unavailable"));
      }
      if (ar.result().isEmpty()) {
        return Future.failedFuture(Refusal.unauthorized(INVALID, CHALLENGE));
      }
      Consumer consumer = ar.result().get();
      if (!consumer.of(call.tenant())) {
        // A key of another tenant's consumer: answered exactly as an unknown key, counted apart.
        crossTenant.increment();
        return Future.failedFuture(Refusal.unauthorized(INVALID, CHALLENGE));
      }
      Refusal invalid = invalidConsumers.check(call, consumer);
      if (invalid != null) {
        return Future.failedFuture(invalid);
      }
      Consumers.identify(call, consumer, null);
      return CONTINUE;
    });
  }
}
