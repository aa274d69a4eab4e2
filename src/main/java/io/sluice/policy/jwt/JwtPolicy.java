package io.sluice.policy.jwt;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jwt.SignedJWT;
import io.micrometer.core.instrument.Counter;
import io.sluice.config.PluginDef;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.credential.JwtCredential;
import io.sluice.credential.JwtKeys;
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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * jwt: a signed token (Authorization: Bearer, or a query parameter) whose {@code iss} names a JWT credential
 * of a consumer of the route's tenant (issuers are unique per tenant; another tenant's is an unknown issuer). The credential fixes the one algorithm accepted (so {@code alg: none} and HS/RS confusion are
 * refused before any signature is checked) and the only key used: keys named in the token itself (jku, x5u,
 * jwk, x5c) are refused, and a {@code kid} must name the credential. Then exp and nbf (with clock_skew_s) and
 * aud (when audiences are configured). A token naming a critical header extension ({@code crit}) is refused:
 * Sluice understands none (RFC 7515 4.1.11). Signatures are verified with Nimbus JOSE (see JwtKeys). A verified
 * token of a consumer stored in a form the admin API refuses is answered 500 ({@link InvalidConsumers}).
 */
public final class JwtPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("jwt", 1450, JwtPolicy::create);
  /**
   * The challenge to a request that sent no token: without an error code, as RFC 6750 section 3.1 asks of a request
   * without authentication information; a token sent and refused gets {@link #INVALID_TOKEN}.
   */
  private static final String CHALLENGE = "Bearer realm=\"sluice\"";
  private static final String INVALID_TOKEN = CHALLENGE + ", error=\"invalid_token\"";
  private static final Set<String> EMBEDDED_KEYS = Set.of("jku", "x5u", "jwk", "x5c");
  /** Verifiers built from credentials, by credential id, algorithm and key; bounded by clearing when full. */
  private static final int MAX_VERIFIERS = 10_000;
  private static final ConcurrentHashMap<String, JWSVerifier> VERIFIERS = new ConcurrentHashMap<>();

  private final JwtConfig config;
  private final ConsumerDirectory directory;
  private final Counter crossTenant;
  private final InvalidConsumers invalidConsumers;

  private JwtPolicy(JwtConfig config, ConsumerDirectory directory, Counter crossTenant,
                    InvalidConsumers invalidConsumers) {
    this.config = config;
    this.directory = directory;
    this.crossTenant = crossTenant;
    this.invalidConsumers = invalidConsumers;
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    if (services.consumers() == null) {
      throw new IllegalArgumentException("jwt needs the consumer directory (pg.url)");
    }
    return new JwtPolicy(PolicyType.config(plugin, JwtConfig.class), services.consumers(),
        Consumers.crossTenant(services.registry(), "jwt"), InvalidConsumers.of(services));
  }

  private static Future<Verdict> refuse(String why) {
    return Future.failedFuture(Refusal.unauthorized(why, INVALID_TOKEN));
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String token = token(call);
    if (token == null) {
      return Future.failedFuture(Refusal.unauthorized("no token found in the request", CHALLENGE));
    }
    SignedJWT jwt;
    JsonObject header;
    JsonObject payload;
    try {
      jwt = SignedJWT.parse(token);
      header = new JsonObject(jwt.getHeader().toJSONObject());
      payload = new JsonObject(jwt.getPayload().toString());
    } catch (java.text.ParseException | RuntimeException e) {
      return refuse("malformed token"); // alg none is not a JWS, and lands here too
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String a) || !JwtKeys.ALGORITHMS.contains(a)) {
      return refuse("token algorithm not accepted");
    }
    for (String k : EMBEDDED_KEYS) {
      if (header.containsKey(k)) {
        return refuse("keys named by the token (" + k + ") are not used");
      }
    }
    if (header.containsKey("crit")) {
      return refuse("critical header extensions are not understood");
    }
    if (!(payload.getValue("iss") instanceof String issuer)) {
      return refuse("token has no iss claim");
    }
    // Issuers are unique per tenant: looked up in the route's tenant only.
    return directory.byJwtIssuer(call.tenant(), issuer).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(Refusal.unavailable("the consumer directory is unavailable"));
      }
      if (ar.result().isEmpty()) {
        return refuse("unknown issuer");
      }
      JwtCredential cred = ar.result().get();
      if (!cred.consumer().of(call.tenant())) {
        crossTenant.increment(); // never expected (the lookup is by tenant): a defence in depth
        return refuse("unknown issuer");
      }
      return verify(call, jwt, (String) alg, header, payload, cred);
    });
  }

  private Future<Verdict> verify(PolicyCall call, SignedJWT jwt, String alg, JsonObject header, JsonObject payload,
                              JwtCredential cred) {
    if (!cred.algorithm().equals(alg)) {
      return refuse("algorithm " + alg + " is not the one of this issuer's credential");
    }
    Object kid = header.getValue("kid");
    if (kid != null && !cred.id().equals(kid)) {
      return refuse("unknown kid");
    }
    try {
      if (!jwt.verify(verifier(cred))) {
        return refuse("invalid signature");
      }
    } catch (com.nimbusds.jose.JOSEException | java.security.GeneralSecurityException | RuntimeException e) {
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
    // Checked once the token is verified: an unverified token learns nothing of the consumer's state.
    Refusal invalid = invalidConsumers.check(call, cred.consumer());
    if (invalid != null) {
      return Future.failedFuture(invalid);
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

  private static JWSVerifier verifier(JwtCredential cred)
      throws com.nimbusds.jose.JOSEException, java.security.GeneralSecurityException {
    String cacheKey = cred.id() + '|' + cred.algorithm() + '|' + cred.key().hashCode();
    JWSVerifier verifier = VERIFIERS.get(cacheKey);
    if (verifier == null) {
      verifier = JwtKeys.verifier(cred);
      if (VERIFIERS.size() >= MAX_VERIFIERS) {
        VERIFIERS.clear();
      }
      VERIFIERS.put(cacheKey, verifier);
    }
    return verifier;
  }

  private String token(PolicyCall call) {
    for (String name : config.headerNames()) {
      String v = call.request().getHeader(name);
      if (v != null && !v.isBlank()) {
        v = v.trim();
        if (v.regionMatches(true, 0, "Bearer", 0, 6) && (v.length() == 6 || Character.isWhitespace(v.charAt(6)))) {
          v = v.substring(6).trim();
        } else if (v.chars().anyMatch(Character::isWhitespace)) {
          return null; // another scheme ("Basic ...": a token has no white space): no token was sent (RFC 6750 3.1)
        }
        return v.isEmpty() ? null : v; // "Bearer" and nothing after it: no token was sent
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
