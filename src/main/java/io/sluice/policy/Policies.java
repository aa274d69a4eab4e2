package io.sluice.policy;

import io.sluice.policy.keyauth.KeyAuthPolicy;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every policy Sluice has, by name, with its priority (higher runs first in the request phase). Adding a
 * policy is one package (its class, its config record) plus its schema, and one line here.
 */
public final class Policies {

  private static final Map<String, PolicyType> TYPES = List.of(
          KeyAuthPolicy.TYPE, io.sluice.policy.ratelimit.RateLimitPolicy.TYPE,
          io.sluice.policy.jwt.JwtPolicy.TYPE, io.sluice.policy.acl.AclPolicy.TYPE)
      .stream().collect(Collectors.toUnmodifiableMap(PolicyType::name, Function.identity()));

  private Policies() {}

  public static PolicyType type(String name) {
    return TYPES.get(name);
  }

  public static Map<String, PolicyType> all() {
    return TYPES;
  }
}
