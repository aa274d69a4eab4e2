package io.sluice.credential;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Set;

/**
 * The keys of JWT credentials: which algorithms Sluice accepts, whether a key fits its algorithm (checked by
 * the admin API before it is stored), and the verifier the jwt policy checks signatures with (Nimbus JOSE,
 * whose verifiers also refuse a token naming a critical header extension they do not understand).
 */
public final class JwtKeys {

  /** The algorithms a credential may fix; {@code none} and anything else are refused. */
  public static final Set<String> ALGORITHMS = Set.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
      "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

  private JwtKeys() {}

  /** Why {@code key} cannot verify {@code algorithm} signatures, or null when it can. */
  public static String problem(String algorithm, String key) {
    try {
      verifier(algorithm, key);
      return null;
    } catch (JOSEException | GeneralSecurityException | IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** The verifier of a credential's signatures: its algorithm, with its secret or public key. */
  public static JWSVerifier verifier(JwtCredential cred) throws JOSEException, GeneralSecurityException {
    return verifier(cred.algorithm(), cred.key());
  }

  private static JWSVerifier verifier(String algorithm, String key) throws JOSEException, GeneralSecurityException {
    if (!ALGORITHMS.contains(algorithm)) {
      throw new IllegalArgumentException("algorithm " + algorithm + " is not accepted");
    }
    JWSAlgorithm alg = JWSAlgorithm.parse(algorithm);
    if (algorithm.startsWith("HS")) {
      // RFC 7518 3.2: the secret is at least as long as the hash (MACVerifier refuses shorter ones).
      return new MACVerifier(key.getBytes(StandardCharsets.UTF_8));
    }
    if (algorithm.startsWith("ES")) {
      PublicKey pk = publicKey("EC", key);
      if (!(pk instanceof ECPublicKey ec)) {
        throw new IllegalArgumentException("not an EC public key");
      }
      Curve curve = Curve.forECParameterSpec(ec.getParams());
      if (curve == null || !Curve.forJWSAlgorithm(alg).contains(curve)) {
        throw new IllegalArgumentException("the key's curve does not fit " + algorithm);
      }
      return new ECDSAVerifier(ec);
    }
    PublicKey pk = publicKey("RSA", key);
    if (!(pk instanceof RSAPublicKey rsa)) {
      throw new IllegalArgumentException("not an RSA public key");
    }
    if (rsa.getModulus().bitLength() < 2048) {
      throw new IllegalArgumentException("an RSA key needs at least 2048 bits");
    }
    return new RSASSAVerifier(rsa);
  }

  /** A PEM public key (-----BEGIN PUBLIC KEY-----, X.509 SubjectPublicKeyInfo) of the given family. */
  private static PublicKey publicKey(String family, String pem) throws GeneralSecurityException {
    String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
        .replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the PEM body is not base64");
    }
    return KeyFactory.getInstance(family).generatePublic(new X509EncodedKeySpec(der));
  }
}
