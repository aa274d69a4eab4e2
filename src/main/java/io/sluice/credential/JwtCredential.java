package io.sluice.credential;

/**
 * A jwt credential: the consumer it authenticates, the issuer it accepts, the one algorithm allowed for it
 * and the key that verifies signatures (a PEM public key for RS/ES/PS/EdDSA algorithms).
 */
public record JwtCredential(String id, Consumer consumer, String issuer, String algorithm, String key) {}
