package io.sluice.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.sluice.config.Schemas;
import io.sluice.credential.JwtKeys;
import io.sluice.credential.JwtSecrets;
import io.sluice.store.EntityStore;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A consumer's JWT credentials (/consumers/{id}/jwt): issuer, the one algorithm allowed and the key. An HS*
 * secret is stored encrypted (see JwtSecrets) and never answered; a public key is checked to parse as one of
 * the algorithm's family before it is stored.
 */
final class JwtRoutes extends CredentialRoutes {

  private final String hmacSecret;

  JwtRoutes(EntityStore store, String hmacSecret) {
    super(store, "jwt", "jwt", "credId", "jwt credential", hmacSecret);
    this.hmacSecret = hmacSecret;
  }

  @Override
  protected Future<?> create(RoutingContext rc, UUID consumer) {
    ObjectNode doc = Requests.body(rc);
    List<FieldError> errors = new ArrayList<>(Schemas.validate("entity-jwt", doc));
    if (errors.isEmpty()) {
      errors.addAll(check(doc));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    UUID id = UUID.randomUUID();
    String algorithm = doc.get("algorithm").asText();
    boolean hmac = algorithm.startsWith("HS");
    byte[] sealed = hmac ? JwtSecrets.encrypt(doc.get("secret").asText(), id.toString(), hmacSecret) : null;
    String publicKey = hmac ? null : doc.get("public_key").asText();
    return store.write(Principal.of(rc).actor(), tx -> consumerExists(tx, consumer)
            .compose(v -> tx.insertJwt(id, consumer, doc.get("issuer").asText(), algorithm, publicKey, sealed))
            .compose(created -> fetch(tx, consumer, created)))
        .onSuccess(w -> created(rc, consumer, w, w.value()));
  }

  /** What the schema cannot say: the key that the algorithm needs is there, and parses. */
  private static List<FieldError> check(ObjectNode doc) {
    String algorithm = doc.get("algorithm").asText();
    List<FieldError> errors = new ArrayList<>();
    if (algorithm.startsWith("HS")) {
      if (!doc.has("secret")) {
        errors.add(new FieldError("secret", "is required for " + algorithm));
      } else {
        String problem = JwtKeys.problem(algorithm, doc.get("secret").asText());
        if (problem != null) {
          errors.add(new FieldError("secret", "not a usable " + algorithm + " secret: " + problem));
        }
      }
      if (doc.has("public_key")) {
        errors.add(new FieldError("public_key", "not allowed for " + algorithm));
      }
      return errors;
    }
    if (doc.has("secret")) {
      errors.add(new FieldError("secret", "not allowed for " + algorithm));
    }
    if (!doc.has("public_key")) {
      errors.add(new FieldError("public_key", "is required for " + algorithm));
      return errors;
    }
    String pem = doc.get("public_key").asText();
    if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
      errors.add(new FieldError("public_key", "must be a PEM public key (-----BEGIN PUBLIC KEY-----)"));
      return errors;
    }
    String problem = JwtKeys.problem(algorithm, pem);
    if (problem != null) {
      errors.add(new FieldError("public_key", "not a usable " + algorithm + " public key: " + problem));
    }
    return errors;
  }
}
