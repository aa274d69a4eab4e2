package io.sluice.policy.jwt;

import io.sluice.config.PluginDef;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.credential.JwtCredential;
import io.sluice.policy.Consumers;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.QueryStrings;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.impl.jose.JWT;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * jwt: a signed token (Authorization: Bearer, or a query parameter) whose {@code iss} names a consumer's JWT
 * credential. The credential fixes the one algorithm accepted (so {@code alg: none} and HS/RS confusion are
 * refused before any signature is checked) and the only key used: keys named in the token itself (jku, x5u,
 * jwk, x5c) are refused, and a {@code kid} must name the credential. Then exp and nbf (with clock_skew_s) and
 * aud (when audiences are configured). Signatures are verified by vertx-auth-jwt.
 */
public final class JwtPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("jwt", 1450, JwtPolicy::create);
  private static final String CHALLENGE = "Bearer realm=\"sluice\", error=\"invalid_token\"";
  private static final Set<String> ALGORITHMS = Set.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
      "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");
  private static final Set<String> EMBEDDED_KEYS = Set.of("jku", "x5u", "jwk", "x5c");
  /** Verifiers built from credentials, by credential id, algorithm and key; bounded by clearing when full. */
  private static final int MAX_VERIFIERS = 10_000;
  private static final ConcurrentHashMap<String, JWT> VERIFIERS = new ConcurrentHashMap<>();

  private final JwtConfig config;
  private final ConsumerDirectory directory;

  private JwtPolicy(JwtConfig config, ConsumerDirectory directory) {
    this.config = config;
    this.directory = directory;
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    if (services.consumers() == null) {
      throw new IllegalArgumentException("jwt needs the consumer directory (pg.url)");
    }
    return new JwtPolicy(PolicyType.config(plugin, JwtConfig.class), services.consumers());
  }

  private static Future<Verdict> refuse(String why) {
    return Future.failedFuture(Refusal.unauthorized(why, CHALLENGE));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String token = token(call);
    if (token == null) {
      return refuse("no token found in the request");
    }
    JsonObject header;
    JsonObject payload;
    try {
      JsonObject parsed = JWT.parse(token);
      header = parsed.getJsonObject("header");
      payload = parsed.getJsonObject("payload");
    } catch (RuntimeException e) {
      return refuse("malformed token");
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String a) || !ALGORITHMS.contains(a)) {
      return refuse("token algorithm not accepted");
    }
    for (String k : EMBEDDED_KEYS) {
      if (header.containsKey(k)) {
        return refuse("keys named by the token (" + k + ") are not used");
      }
    }
    if (!(payload.getValue("iss") instanceof String issuer)) {
      return refuse("token has no iss claim");
    }
    return directory.byJwtIssuer(issuer).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(Refusal.unavailable("the consumer directory is unavailable"));
      }
      if (ar.result().isEmpty()) {
        return refuse("unknown issuer");
      }
      JwtCredential cred = ar.result().get();
      return verify(call, token, (String) alg, header, payload, cred);
    });
  }

  private Future<Verdict> verify(PolicyCall call, String token, String alg, JsonObject header, JsonObject payload,
                              JwtCredential cred) {
    if (!cred.algorithm().equals(alg)) {
      return refuse("algorithm " + alg + " is not the one of this issuer's credential");
    }
    Object kid = header.getValue("kid");
    if (kid != null && !cred.id().equals(kid)) {
      return refuse("unknown kid");
    }
    try {
      verifier(cred).decode(token);
    } catch (RuntimeException | java.security.GeneralSecurityException e) {
      return refuse("invalid signature");
    }
    long now = System.currentTimeMillis() / 1000;
    long skew = config.clockSkewS();
    Object exp = payload.getValue("exp");
    if (exp == null ? config.requireExp() : !(exp instanceof Number n) || now - skew >= n.longValue()) {
      return refuse(exp == null ? "token has no exp claim" : "token expired");
    }
    Object nbf = payload.getValue("nbf");
    if (nbf != null && (!(nbf instanceof Number n) || n.longValue() > now + skew)) {
      return refuse("token not valid yet");
    }
    if (!config.audiences().isEmpty() && !audienceMatches(payload.getValue("aud"))) {
      return refuse("token audience not accepted");
    }
    Consumers.identify(call, cred.consumer(), cred.id());
    return CONTINUE;
  }

  private boolean audienceMatches(Object aud) {
    List<String> wanted = config.audiences();
    if (aud instanceof String s) {
      return wanted.contains(s);
    }
    if (aud instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof String s && wanted.contains(s)) {
          return true;
        }
      }
    }
    return false;
  }

  private static JWT verifier(JwtCredential cred) {
    String cacheKey = cred.id() + '|' + cred.algorithm() + '|' + cred.key().hashCode();
    JWT jwt = VERIFIERS.get(cacheKey);
    if (jwt == null) {
      jwt = new JWT().addJWK(new JWK(new PubSecKeyOptions().setAlgorithm(cred.algorithm()).setBuffer(cred.key())));
      if (VERIFIERS.size() >= MAX_VERIFIERS) {
        VERIFIERS.clear();
      }
      VERIFIERS.put(cacheKey, jwt);
    }
    return jwt;
  }

  private String token(PolicyCall call) {
    for (String name : config.headerNames()) {
      String v = call.request().getHeader(name);
      if (v != null && !v.isBlank()) {
        v = v.trim();
        if (v.regionMatches(true, 0, "Bearer ", 0, 7)) {
          v = v.substring(7).trim();
        }
        return v;
      }
    }
    if (!config.uriParamNames().isEmpty() && call.query() != null) {
      String[] found = new String[1];
      String rest = QueryStrings.without(call.query(), config.uriParamNames(), found);
      if (found[0] != null) {
        call.query(rest);
        return found[0].isBlank() ? null : java.net.URLDecoder.decode(found[0], java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
