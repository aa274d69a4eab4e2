package io.sluice.policy.mtls;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.config.FieldError;
import io.sluice.config.PluginDef;
import io.sluice.policy.HeaderValues;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.sluice.tls.Pem;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * mtls: the route needs a client certificate that chains to the configured CA bundle (and, when listed, has
 * one of the allowed subjects). The proxy's TLS listener asks every client for a certificate without
 * requiring one (tls.client_auth request); this policy verifies it (PKIX, validity dates, no revocation
 * lookups). No certificate answers 401, one that does not verify 403. The verified subject is then the
 * request's {@link PolicyCall#clientCertSubject()} (later policies, the access record's {@code client_cert})
 * and, when configured, a header to the target.
 */
public final class MtlsPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("mtls", 1980, MtlsPolicy::create);

  /** mtls's configuration (schema/policy/mtls.json). */
  public record Config(String ca, @JsonProperty("allowed_subjects") List<String> allowedSubjects,
                       @JsonProperty("upstream_header") String upstreamHeader) {}

  private final Set<TrustAnchor> anchors;
  private final Set<String> allowed;
  private final String header;

  private MtlsPolicy(Config c) {
    try {
      Set<TrustAnchor> a = new HashSet<>();
      for (X509Certificate ca : Pem.chain(c.ca())) {
        a.add(new TrustAnchor(ca, null));
      }
      this.anchors = Set.copyOf(a);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("config.ca " + e.getMessage(), e);
    }
    this.allowed = Set.copyOf(c.allowedSubjects());
    this.header = c.upstreamHeader();
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new MtlsPolicy(PolicyType.config(plugin, Config.class));
  }

  /** The CA bundle parses (the schema cannot tell). */
  public static List<FieldError> check(JsonNode config) {
    try {
      Pem.chain(config.path("ca").asText());
      return List.of();
    } catch (CertificateException e) {
      return List.of(new FieldError("config.ca", e.getMessage()));
    }
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    HttpConnection conn = call.request().connection();
    List<Certificate> presented;
    try {
      presented = conn == null || !conn.isSsl() ? null : conn.peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      presented = null;
    }
    if (presented == null || presented.isEmpty()) {
      return Future.failedFuture(Refusal.unauthorized("a client certificate is required (HTTPS with a certificate)",
          "Mutual TLS"));
    }
    String subject;
    try {
      subject = verify(presented);
    } catch (GeneralSecurityException e) {
      return Future.failedFuture(Refusal.forbidden("the client certificate is not trusted by this route"));
    }
    if (!allowed.isEmpty() && !allowed.contains(subject)) {
      return Future.failedFuture(Refusal.forbidden("the client certificate's subject is not allowed on this route"));
    }
    call.clientCertSubject(subject);
    if (!header.isEmpty()) {
      call.setUpstreamHeader(header, HeaderValues.utf8(subject)); // a CN of 张三 as its UTF-8 bytes, not ??
    }
    return CONTINUE;
  }

  /** The leaf's subject once the chain validates against the CA bundle; an exception otherwise. */
  private String verify(List<Certificate> presented) throws GeneralSecurityException {
    List<X509Certificate> chain = new ArrayList<>(presented.size());
    for (Certificate c : presented) {
      X509Certificate x = (X509Certificate) c;
      if (anchors.stream().anyMatch(a -> a.getTrustedCert().equals(x))) {
        break; // the anchor itself is not part of the path
      }
      chain.add(x);
    }
    if (chain.isEmpty()) {
      throw new CertificateException("only the CA was presented");
    }
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain),
        params);
    return chain.get(0).getSubjectX500Principal().getName();
  }
}
