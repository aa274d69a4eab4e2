package io.sluice.policy.registry;

import io.sluice.policy.keyauth.KeyAuthPolicy;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import io.sluice.policy.PolicyType;

/**
 * Every policy Sluice has, by name, with its priority (higher runs first in the request phase). Adding a
 * policy is one package (its class, its config record) plus its schema, and one line here.
 */
public final class Policies {

  private static final Map<String, PolicyType> TYPES = List.of(
          KeyAuthPolicy.TYPE, io.sluice.policy.ratelimit.RateLimitPolicy.TYPE,
          io.sluice.policy.jwt.JwtPolicy.TYPE, io.sluice.policy.acl.AclPolicy.TYPE,
          io.sluice.policy.correlation.CorrelationIdPolicy.TYPE,
          io.sluice.policy.sizelimit.RequestSizeLimitingPolicy.TYPE,
          io.sluice.policy.iprestriction.IpRestrictionPolicy.TYPE, io.sluice.policy.cors.CorsPolicy.TYPE,
          io.sluice.policy.transform.RequestTransformerPolicy.TYPE,
          io.sluice.policy.transform.ResponseTransformerPolicy.TYPE,
          io.sluice.policy.cache.ProxyCachePolicy.TYPE, io.sluice.policy.mtls.MtlsPolicy.TYPE)
      .stream().collect(Collectors.toUnmodifiableMap(PolicyType::name, Function.identity()));

  private Policies() {}

  public static PolicyType type(String name) {
    return TYPES.get(name);
  }

  /** What a policy's schema cannot say about its configuration (after the schema passed). */
  public static List<io.sluice.config.FieldError> check(String name, com.fasterxml.jackson.databind.JsonNode config) {
    if (name.equals(io.sluice.policy.iprestriction.IpRestrictionPolicy.TYPE.name())) {
      return io.sluice.policy.iprestriction.IpRestrictionPolicy.check(config);
    }
    if (name.equals(io.sluice.policy.mtls.MtlsPolicy.TYPE.name())) {
      return io.sluice.policy.mtls.MtlsPolicy.check(config);
    }
    return List.of();
  }

  public static Map<String, PolicyType> all() {
    return TYPES;
  }
}
