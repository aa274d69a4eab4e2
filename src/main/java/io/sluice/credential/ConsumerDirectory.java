package io.sluice.credential;

import io.vertx.core.Future;
import java.util.Optional;

/**
 * Where the authentication policies find consumers. Consumers and credentials are never loaded whole at
 * start: an implementation reads them through on demand (PostgreSQL behind a cluster-wide cache in
 * production), so a node with a million consumers starts as fast as one with ten.
 *
 * <p>Every method completes without blocking the calling event loop. An unknown key completes with an
 * empty Optional; a store that cannot answer fails the future (the policy then answers 503, never 401).
 */
public interface ConsumerDirectory {

  /** The consumer owning the api-key credential with this HMAC digest (see store.ApiKeys#digest). */
  Future<Optional<Consumer>> byKeyDigest(byte[] digest);

  /**
   * The consumer and verification key of the jwt credential for this issuer (the token's iss claim) in the
   * tenant named {@code tenant} (the route's): issuers are unique per tenant, not globally.
   */
  Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer);
}
