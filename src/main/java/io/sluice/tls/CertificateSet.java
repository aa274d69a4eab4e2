package io.sluice.tls;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.util.Hosts;
import io.vertx.core.json.JsonObject;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The certificates a node serves, immutable, indexed by server name: exact names first, then {@code *.suffix}
 * for one label in front of the suffix, then the certificate of the SNI {@code *} (names that match nothing
 * and clients that send no SNI); without {@code *} such a handshake is refused. Built whole from the
 * certificate and SNI entities the node holds and swapped in whole, as the route table is.
 */
public final class CertificateSet {

  /** One certificate ready to serve; its alias (the leaf's fingerprint) names this exact material. */
  public record Entry(String id, String alias, X509Certificate[] chain, PrivateKey key, Instant notAfter,
                      String subject) {}

  public static final CertificateSet EMPTY = new CertificateSet(Map.of(), Map.of(), null, Map.of(), Map.of(),
      List.of(), List.of());

  private final Map<String, Entry> exact;
  private final Map<String, Entry> wildcard;
  private final Entry fallback;
  private final Map<String, Entry> byAlias;
  private final Map<String, Entry> byId;
  private final List<Entry> certificates;
  private final List<String> problems;

  private CertificateSet(Map<String, Entry> exact, Map<String, Entry> wildcard, Entry fallback,
                         Map<String, Entry> byAlias, Map<String, Entry> byId, List<Entry> certificates,
                         List<String> problems) {
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallback;
    this.byAlias = byAlias;
    this.byId = byId;
    this.certificates = certificates;
    this.problems = problems;
  }

  /**
   * From the entities as the change reader projects them ({@code {"def": {...}}}): certificates carry their
   * sealed key ({@code key_enc}, base64), SNIs the id of their certificate. A certificate whose key does not
   * open (another secret) or does not parse is left out and reported in {@link #problems}.
   */
  public static CertificateSet build(Map<EntityKey, JsonObject> entities, KeySealer sealer) {
    Map<String, Entry> byId = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (Map.Entry<EntityKey, JsonObject> e : entities.entrySet()) {
      if (e.getKey().type() != EntityType.CERTIFICATE) {
        continue;
      }
      String id = e.getKey().id().toString();
      JsonObject def = e.getValue().getJsonObject("def", new JsonObject());
      try {
        X509Certificate[] chain = Pem.chain(def.getString("cert")).toArray(X509Certificate[]::new);
        String fingerprint = Pem.fingerprint(chain[0]);
        // PostgreSQL breaks base64 into lines of 76: the MIME decoder skips the line breaks.
        byte[] der = sealer.open(Base64.getMimeDecoder().decode(def.getString("key_enc", "")), fingerprint);
        PrivateKey key = new JcaPEMKeyConverter().getPrivateKey(PrivateKeyInfo.getInstance(der));
        byId.put(id, new Entry(id, fingerprint, chain, key, chain[0].getNotAfter().toInstant(),
            chain[0].getSubjectX500Principal().getName()));
      } catch (Exception ex) {
        // Never the key or its bytes in a message: only which certificate and the kind of failure.
        problems.add("certificate " + id + " is not served: its key does not open with this node's"
            + " keys.encryption_secret (or keys.hmac_secret) or does not parse (" + ex.getClass().getSimpleName() + ")");
      }
    }
    Map<String, Entry> exact = new HashMap<>();
    Map<String, Entry> wildcard = new HashMap<>();
    Entry fallback = null;
    for (Map.Entry<EntityKey, JsonObject> e : entities.entrySet()) {
      if (e.getKey().type() != EntityType.SNI) {
        continue;
      }
      JsonObject def = e.getValue().getJsonObject("def", new JsonObject());
      Entry cert = byId.get(def.getString("certificate"));
      String name = def.getString("name", "").toLowerCase(Locale.ROOT);
      if (cert == null || name.isEmpty()) {
        continue;
      }
      if (name.equals("*")) {
        fallback = cert;
      } else if (name.startsWith("*.")) {
        wildcard.put(name.substring(2), cert);
      } else {
        exact.put(name, cert);
      }
    }
    Map<String, Entry> byAlias = new HashMap<>();
    byId.values().forEach(c -> byAlias.put(c.alias(), c));
    return new CertificateSet(Map.copyOf(exact), Map.copyOf(wildcard), fallback, Map.copyOf(byAlias),
        Map.copyOf(byId), List.copyOf(byId.values()), List.copyOf(problems));
  }

  /** The certificate for {@code serverName} (null: no SNI sent), or null when the handshake is to be refused. */
  public Entry select(String serverName) {
    if (serverName != null && !serverName.isEmpty()) {
      String name = Hosts.canonical(serverName); // as routes read Host: b.test. is b.test
      Entry e = exact.get(name);
      if (e != null) {
        return e;
      }
      int dot = name.indexOf('.');
      if (dot > 0) {
        e = wildcard.get(name.substring(dot + 1));
        if (e != null) {
          return e;
        }
      }
    }
    return fallback;
  }

  Entry byAlias(String alias) {
    return byAlias.get(alias);
  }

  /** The certificate entity {@code id} (null: none, or its key did not open on this node). */
  Entry byId(String id) {
    return byId.get(id.toLowerCase(Locale.ROOT));
  }

  /** Every certificate served (for the expiry meters). */
  public List<Entry> certificates() {
    return certificates;
  }

  /** Certificates left out, and why (logged by the node). */
  public List<String> problems() {
    return problems;
  }
}
