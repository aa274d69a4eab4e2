package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.util.PSQLException;

/**
 * JWT credentials a declarative file refuses (an EdDSA algorithm, an RS/PS/ES key that is not PEM) can no longer be
 * written with psql (V24: a check_violation naming the column and a constraint that says what is wrong), and rows
 * written before V24 are named by the export (409 stored_config_invalid) rather than written into a file that
 * PUT /config then refuses.
 */
@ExtendWith(VertxExtension.class)
class JwtCredentialRowsTest {

  private static final String INSERT = "insert into credentials (consumer_id, kind, jwt_issuer, jwt_algorithm,"
      + " jwt_public_key) select id, 'jwt', '%s', '%s', '%s' from consumers where username = '%s'";
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx);
    gw.consumer("alice");
    gw.consumer("bob");
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  private void insert(String issuer, String algorithm, String key, String username) {
    gw.db.transaction(String.format(INSERT, issuer, algorithm, key, username));
  }

  private PSQLException refusedByPsql(String issuer, String algorithm, String key) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> insert(issuer, algorithm, key, "alice"));
    assertTrue(e.getMessage().startsWith("23514"), e.getMessage());
    return (PSQLException) e.getCause();
  }

  @Test
  void psql_cannot_write_an_eddsa_credential_nor_a_key_that_is_not_pem() {
    PSQLException eddsa = refusedByPsql("https://ed.example", "EdDSA", "-----BEGIN PUBLIC KEY-----\nMCow\n");
    assertEquals("credentials_jwt_algorithm_not_accepted", eddsa.getServerErrorMessage().getConstraint());
    assertEquals("jwt_algorithm", eddsa.getServerErrorMessage().getColumn());
    assertTrue(eddsa.getMessage().contains("credentials.jwt_algorithm: 'EdDSA' is not accepted"), eddsa.getMessage());

    PSQLException raw = refusedByPsql("https://rs.example", "RS256", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA");
    assertEquals("credentials_jwt_public_key_not_pem", raw.getServerErrorMessage().getConstraint());
    assertTrue(raw.getMessage().contains("credentials.jwt_public_key: must be a PEM public key"), raw.getMessage());

    insert("https://pem.example", "ES256", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n", "alice");
  }

  @Test
  void rows_written_before_the_check_are_named_by_the_export_never_written_into_a_file() {
    gw.db.transaction("alter table credentials drop constraint credentials_jwt_algorithm_not_accepted",
        "alter table credentials drop constraint credentials_jwt_public_key_not_pem");
    insert("https://ed.example", "EdDSA", "-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n", "alice");
    insert("https://ps.example", "PS256", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "bob");

    Http.Reply export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(409, export.status(), export.text());
    JsonObject error = new JsonObject(export.text()).getJsonObject("error");
    assertEquals("stored_config_invalid", error.getString("code"));
    JsonArray fields = error.getJsonArray("fields");
    assertTrue(fields.stream().map(JsonObject.class::cast).anyMatch(f -> f.getString("name").equals("acme/alice")
        && f.getString("field").equals("consumers[0].jwt[0].algorithm")), export.text());
    assertTrue(fields.stream().map(JsonObject.class::cast).anyMatch(f -> f.getString("name").equals("acme/bob")
        && f.getString("field").equals("consumers[1].jwt[0].public_key")
        && f.getString("reason").contains("PEM")), export.text());

    gw.db.transaction("delete from credentials where kind = 'jwt'");
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").status());
  }
}
