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
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.Base64;
import org.postgresql.util.PSQLException;

/**
 * JWT credentials a declarative file refuses (an EdDSA algorithm, an RS/PS/ES key that is not PEM) can no longer be
 * written with psql (V24: a check_violation naming the column and a constraint that says what is wrong), and rows
 * written before V24 are named by the export (409 stored_config_invalid) rather than written into a file that
 * PUT /config then refuses. V25 refuses too a PEM whose body cannot be a key of its family.
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
  void psql_cannot_write_an_eddsa_credential_nor_a_key_that_is_not_pem() throws Exception {
    PSQLException eddsa = refusedByPsql("https://ed.example", "EdDSA", "-----BEGIN PUBLIC KEY-----\nMCow\n");
    assertEquals("credentials_jwt_algorithm_not_accepted", eddsa.getServerErrorMessage().getConstraint());
    assertEquals("jwt_algorithm", eddsa.getServerErrorMessage().getColumn());
    assertTrue(eddsa.getMessage().contains("credentials.jwt_algorithm: 'EdDSA' is not accepted"), eddsa.getMessage());

    PSQLException raw = refusedByPsql("https://rs.example", "RS256", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA");
    assertEquals("credentials_jwt_public_key_not_pem", raw.getServerErrorMessage().getConstraint());
    assertTrue(raw.getMessage().contains("credentials.jwt_public_key: must be a PEM public key"), raw.getMessage());

    insert("https://pem.example", "ES256", pem(key("EC", 256)), "alice");
  }

  /**
   * V25: a PEM header over a body that cannot be a key (not base64, cut short, of another family, too small) is
   * refused as V24 refuses a key without the header; real keys of every family pass.
   */
  @Test
  void psql_cannot_write_a_pem_whose_body_is_not_a_key_of_its_family() throws Exception {
    String rsa = pem(key("RSA", 2048));
    String[][] refused = {
        {"RS256", "-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n", "not base64"},
        {"RS256", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n", "not a DER public key"},
        {"RS256", cut(rsa), "cut short"},
        {"ES256", rsa, "not an EC public key"},
        {"PS256", pem(key("EC", 256)), "not an RSA public key"},
        {"RS384", pem(key("RSA", 1024)), "not an RSA public key of 2048 bits or more"},
    };
    for (String[] r : refused) {
      PSQLException e = refusedByPsql("https://" + r[0].toLowerCase() + ".example", r[0], r[1]);
      assertEquals("credentials_jwt_public_key_not_der", e.getServerErrorMessage().getConstraint(), r[1]);
      assertEquals("jwt_public_key", e.getServerErrorMessage().getColumn());
      assertTrue(e.getMessage().contains("credentials.jwt_public_key: ") && e.getMessage().contains(r[2]),
          e.getMessage());
    }
    insert("https://rs.example", "RS256", rsa, "alice");
    insert("https://ps.example", "PS512", pem(key("RSA", 4096)), "alice");
    insert("https://es384.example", "ES384", pem(key("EC", 384)), "alice");
    insert("https://es512.example", "ES512", pem(key("EC", 521)), "bob");
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").status());
  }

  /** A key whose body does not parse, written before V25, is named by the export, never written into a file. */
  @Test
  void a_key_whose_body_does_not_parse_written_before_the_check_is_named_by_the_export() throws Exception {
    gw.db.transaction("alter table credentials drop constraint credentials_jwt_public_key_not_der");
    String rsa = pem(key("RSA", 2048));
    insert("https://rs.example", "RS256", cut(rsa), "bob");
    Http.Reply export = gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json");
    assertEquals(409, export.status(), export.text());
    JsonObject error = new JsonObject(export.text()).getJsonObject("error");
    assertEquals("stored_config_invalid", error.getString("code"));
    assertTrue(error.getJsonArray("fields").stream().map(JsonObject.class::cast).anyMatch(f ->
        f.getString("name").equals("acme/bob") && f.getString("field").equals("consumers[1].jwt[0].public_key")
            && f.getString("reason").contains("not a usable RS256 public key")), export.text());
    gw.db.transaction("update credentials set jwt_public_key = '" + rsa + "' where kind = 'jwt'");
    assertEquals(200, gw.admin(HttpMethod.GET, "/config", null, "Accept", "application/json").status());
  }

  private static PublicKey key(String family, int size) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(family);
    g.initialize(size);
    return g.generateKeyPair().getPublic();
  }

  private static String pem(PublicKey key) {
    return pem(key.getEncoded());
  }

  private static String pem(byte[] der) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** The key's first 150 bytes: a well-formed base64 body (200 chars) of a DER sequence cut short. */
  private static String cut(String pem) {
    String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
        .replaceAll("\\s", "");
    return pem(java.util.Arrays.copyOf(Base64.getDecoder().decode(body), 150));
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
