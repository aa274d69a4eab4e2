package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * jwt: RS256 and HS256 credentials; forged, expired, not-yet-valid, wrong-audience, alg none, HS/RS
 * confusion, unknown kid and embedded-key tokens are refused; the consumer reaches the upstream.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JwtTest {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String SECRET = "an-hs256-shared-secret-of-32-chars-or-more";

  private Gateway gw;

  /** The gateway under test; the h2c subclass sends the same requests over HTTP/2. */
  Gateway gateway(Vertx vertx) {
    return new Gateway(vertx);
  }
  private KeyPair rsa;
  private String publicPem;
  private JsonObject alice;
  private String rsCredential;

  @BeforeAll
  void start(Vertx vertx) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    rsa = g.generateKeyPair();
    publicPem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(rsa.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    gw = gateway(vertx);
    alice = gw.consumer("alice", "staff");
    JsonObject bob = gw.consumer("bob");
    rsCredential = gw.create("/consumers/" + alice.getString("id") + "/jwt", new JsonObject()
        .put("issuer", "https://idp.example").put("algorithm", "RS256").put("public_key", publicPem))
        .getString("id");
    JsonObject hs = gw.create("/consumers/" + bob.getString("id") + "/jwt", new JsonObject()
        .put("issuer", "bob-issuer").put("algorithm", "HS256").put("secret", SECRET));
    assertFalse(hs.containsKey("secret"), "a secret is never answered");
    gw.plugin("jwt", "api", new JsonObject().put("audiences", new JsonArray().add("orders"))
        .put("uri_param_names", new JsonArray().add("jwt")));
  }

  @AfterAll
  void stop() {
    gw.close();
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private static JsonObject claims(String iss) {
    return new JsonObject().put("iss", iss).put("aud", "orders").put("exp", now() + 300).put("sub", "s");
  }

  private static String encode(JsonObject header, JsonObject payload) {
    return B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8));
  }

  private String rs256(JsonObject header, JsonObject payload) throws Exception {
    String input = encode(header.put("alg", header.getString("alg", "RS256")), payload);
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign((PrivateKey) rsa.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(s.sign());
  }

  private static String hs256(String secret, JsonObject header, JsonObject payload) throws Exception {
    String input = encode(header.put("alg", "HS256"), payload);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }

  private Http.Reply call(String token) {
    return gw.get("/api/x", "Authorization", "Bearer " + token);
  }

  private void refused(String token, String why) {
    Http.Reply r = call(token);
    assertEquals(401, r.status(), why + ": " + r.text());
    assertEquals("Bearer realm=\"sluice\", error=\"invalid_token\"", r.header("WWW-Authenticate"), why);
  }

  @Test
  void a_valid_rs256_token_passes_and_identifies_the_consumer() throws Exception {
    Http.Reply ok = call(rs256(new JsonObject().put("kid", rsCredential), claims("https://idp.example")));
    assertEquals(200, ok.status(), ok.text());
    assertEquals(alice.getString("id"), gw.last().headers().get("X-Consumer-ID"));
  }

  @Test
  void a_valid_hs256_token_passes_also_from_the_query_which_it_leaves() throws Exception {
    String token = hs256(SECRET, new JsonObject(), claims("bob-issuer"));
    assertEquals(200, call(token).status());
    Http.Reply q = gw.get("/api/x?jwt=" + token + "&a=1");
    assertEquals(200, q.status(), q.text());
    assertEquals("/api/x?a=1", gw.last().uri());
    Http.Reply odd = gw.get("/api/x?a=1&&jwt=" + token + "&&b");
    assertEquals(200, odd.status(), odd.text());
    assertEquals("/api/x?a=1&&&b", gw.last().uri(), "the other segments as sent, empty ones too");
  }

  @Test
  void forged_expired_early_and_wrong_audience_tokens_are_refused() throws Exception {
    String good = rs256(new JsonObject(), claims("https://idp.example"));
    String[] parts = good.split("\\.");
    String forgedPayload = B64.encodeToString(claims("https://idp.example").put("sub", "admin").encode()
        .getBytes(StandardCharsets.UTF_8));
    refused(parts[0] + "." + forgedPayload + "." + parts[2], "payload changed after signing");
    refused(rs256(new JsonObject(), claims("https://idp.example").put("exp", now() - 60)), "expired");
    refused(rs256(new JsonObject(), claims("https://idp.example").put("nbf", now() + 600)), "not valid yet");
    refused(rs256(new JsonObject(), claims("https://idp.example").put("aud", "billing")), "wrong audience");
    refused(rs256(new JsonObject(), claims("https://idp.example").copy().put("exp", (Object) null)), "no exp");
    refused(rs256(new JsonObject(), claims("https://unknown.example")), "unknown issuer");
    refused(hs256("another-secret-that-is-32-chars-long!!", new JsonObject(), claims("bob-issuer")), "bad secret");
    assertEquals(200, call(rs256(new JsonObject(), claims("https://idp.example").put("exp", now() - 10)))
        .status(), "within the 30 s clock skew");
  }

  @Test
  void alg_none_confusion_foreign_kid_and_embedded_keys_are_refused() throws Exception {
    refused(encode(new JsonObject().put("alg", "none"), claims("https://idp.example")) + ".", "alg none");
    refused(encode(new JsonObject().put("alg", "none"), claims("https://idp.example")), "alg none, 2 parts");
    // HS/RS confusion: an HS256 token keyed with the RS256 credential's public key.
    refused(hs256(publicPem, new JsonObject(), claims("https://idp.example")), "HS256 signed with the public key");
    refused(rs256(new JsonObject().put("kid", "other-key"), claims("https://idp.example")), "unknown kid");
    refused(rs256(new JsonObject().put("jku", "https://evil.example/keys"), claims("https://idp.example")), "jku");
    refused("not.a.token", "garbage");
    refused(rs256(new JsonObject().put("crit", new io.vertx.core.json.JsonArray().add("exp-policy"))
        .put("exp-policy", "ignore"), claims("https://idp.example")), "crit names an extension nobody understands");
  }

  /**
   * Found from outside: a request without a token was challenged with error="invalid_token"; RFC 6750 section 3.1
   * says a request without authentication information gets no error code. A token sent and refused keeps it.
   */
  @Test
  void a_request_without_a_token_is_challenged_without_an_error_code() {
    // Another scheme (RFC 6750 3.1: "attempted using an unsupported authentication method") counts as no token.
    for (String[] headers : new String[][] {{}, {"Authorization", "Bearer"}, {"Authorization", "Bearer "},
        {"Authorization", "Basic dXNlcjpwYXNz"}, {"Authorization", "Digest username=\"u\", realm=\"r\""}}) {
      Http.Reply none = gw.get("/api/x?jwt=", headers);
      assertEquals(401, none.status(), none.text());
      assertEquals("Bearer realm=\"sluice\"", none.header("WWW-Authenticate"), java.util.Arrays.toString(headers));
    }
  }

  @Test
  void jwt_credentials_are_validated_when_written() {
    String uri = "/consumers/" + alice.getString("id") + "/jwt";
    Http.Reply noKey = gw.admin(HttpMethod.POST, uri, new JsonObject().put("issuer", "x").put("algorithm", "RS256"));
    assertEquals(400, noKey.status());
    assertTrue(noKey.text().contains("\"field\":\"public_key\""), noKey.text());
    Http.Reply badKey = gw.admin(HttpMethod.POST, uri, new JsonObject().put("issuer", "x").put("algorithm", "ES256")
        .put("public_key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
    assertEquals(400, badKey.status(), badKey.text());
    Http.Reply shortSecret = gw.admin(HttpMethod.POST, uri, new JsonObject().put("issuer", "y").put("algorithm", "HS256")
        .put("secret", "short"));
    assertEquals(400, shortSecret.status());
    assertTrue(shortSecret.text().contains("\"field\":\"secret\""), shortSecret.text());
    Http.Reply none = gw.admin(HttpMethod.POST, uri, new JsonObject().put("issuer", "z").put("algorithm", "none")
        .put("secret", SECRET));
    assertEquals(400, none.status());
    Http.Reply plugin = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "jwt").put("scope", "global")
        .put("config", new JsonObject().put("clock_skew_s", -1)));
    assertEquals(400, plugin.status());
    assertTrue(plugin.text().contains("config.clock_skew_s"), plugin.text());
  }
}
