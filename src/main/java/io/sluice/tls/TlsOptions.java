package io.sluice.tls;

import io.netty.channel.ChannelPipeline;
import io.sluice.settings.NodeSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** TLS on a Vert.x listener as the node settings say: versions, cipher suites, certificates, ALPN. */
public final class TlsOptions {

  /**
   * A modern list (Mozilla's "intermediate" profile in JDK names): the TLS 1.3 suites, and for TLS 1.2 only
   * ECDHE key exchange with AEAD ciphers (forward secrecy, no CBC, no RSA key transport).
   */
  public static final List<String> MODERN_CIPHERS = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private static final Logger LOG = LoggerFactory.getLogger(TlsOptions.class);
  private static final java.util.concurrent.atomic.AtomicBoolean FALLBACK_LOGGED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private TlsOptions() {}

  /** What runs on a connection's pipeline once its handshake is done ({@link AfterHandshake}). */
  @FunctionalInterface
  public interface Handshaken {
    /** {@code acceptedNanos}: {@link System#nanoTime()} as the connection was accepted. */
    void done(ChannelPipeline pipeline, long acceptedNanos);
  }

  /**
   * The proxy's TLS listener: certificates looked up per handshake in {@code live} (by SNI), client
   * certificates asked for (not required) when tls.client_auth is request, h2 offered when tls.http2 is on;
   * {@code handshaken} (null: nothing) runs on each connection's pipeline once Vert.x has set it up for the protocol
   * ALPN chose, before the first byte of application data is read ({@link AfterHandshake}). The handshake is
   * bounded by proxy.header_timeout_ms too (when shorter than Vert.x's handshake timeout, 10 s): it is the start of
   * the first request's head, which must be whole that long after the connection was accepted.
   */
  public static HttpServerOptions proxy(HttpServerOptions plain, NodeSettings settings, LiveCertificates live,
                                        Handshaken handshaken) {
    HttpServerOptions o = new HttpServerOptions(plain).setPort(settings.proxy().tlsPort());
    common(o, settings.tls());
    long headerTimeoutMs = settings.proxy().headerTimeoutMs();
    long handshakeMs = o.getSslHandshakeTimeoutUnit().toMillis(o.getSslHandshakeTimeout());
    if (headerTimeoutMs > 0 && headerTimeoutMs < handshakeMs) {
      o.setSslHandshakeTimeout(headerTimeoutMs).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    }
    o.setKeyCertOptions(KeyCertOptions.wrap(new SniKeyManager(live)));
    if ("request".equals(settings.tls().clientAuth())) {
      // Any chain is accepted at the handshake; a route's mtls policy verifies it against its own CA bundle.
      o.setClientAuth(ClientAuth.REQUEST).setTrustOptions(TrustOptions.wrap(new AnyClient()));
    }
    // A server name no SNI matches is refused with unrecognized_name (RFC 6066 3), not the engine's internal_error;
    // a handshake naming none, while no SNI * answers it, with handshake_failure; a TLS session is resumed only for
    // the name it was made for (RFC 6066 3). UnrecognizedNames and SessionsPerName take BoringSSL's context itself.
    o.setSslEngineOptions(ServerContexts.engine(engine(settings.tls()), context -> AfterHandshake.wrap(
        NamelessHandshakes.wrap(SessionsPerName.bind(UnrecognizedNames.refusing(context, live)), live), handshaken)));
    o.setUseAlpn(true).setAlpnVersions(settings.tls().http2() ? List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1)
        : List.of(HttpVersion.HTTP_1_1));
    return o;
  }

  /**
   * A listener given a certificate in files (admin, stream): TLS with it when both files are set, untouched
   * when neither is. A missing or unreadable file, or only one of the two, stops the start with the setting named.
   */
  public static <T extends HttpServerOptions> T files(T options, String listener, String certFile, String keyFile,
                                                     NodeSettings.Tls tls) {
    if (certFile.isEmpty() && keyFile.isEmpty()) {
      return options;
    }
    if (certFile.isEmpty() || keyFile.isEmpty()) {
      throw new IllegalArgumentException(listener + ".tls_cert_file and " + listener
          + ".tls_key_file go together: set both or neither");
    }
    String cert = read(listener + ".tls_cert_file", certFile);
    String key = read(listener + ".tls_key_file", keyFile);
    List<String> problems = problems(listener, cert, key);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    common(options, tls);
    options.setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(cert)).setKeyValue(Buffer.buffer(key)));
    return options;
  }

  /**
   * The TLS engine tls.engine names. {@code openssl}: BoringSSL (netty-tcnative), whose handshakes take tens of
   * microseconds and whose records cost less than the JDK's: measured beside nginx (bench/run.sh, HTTPS rows),
   * 10-15% more requests per second than the JDK's engine and a p99 of a few milliseconds instead of tens to
   * hundreds. Where its native library cannot load, the JDK's, with a warning. {@code jdk}: the JDK's engine with
   * its handshake work (key exchange, signature, certificate checks: milliseconds of CPU each, its delegated
   * tasks) on Vert.x's worker pool: on the event loop, a burst of new connections would stall every request of
   * the connections already open on that loop for the whole burst.
   */
  public static SSLEngineOptions engine(NodeSettings.Tls tls) {
    if ("openssl".equals(tls.engine())) {
      if (OpenSsl.isAvailable()) {
        return new OpenSSLEngineOptions().setSessionCacheEnabled(true);
      }
      if (!FALLBACK_LOGGED.getAndSet(true)) {
        LOG.warn("tls.engine is openssl but BoringSSL cannot load here ({}): using the JDK's TLS engine",
            String.valueOf(OpenSsl.unavailabilityCause()));
      }
    }
    return new JdkSSLEngineOptions().setUseWorkerThread(true);
  }

  private static void common(HttpServerOptions o, NodeSettings.Tls tls) {
    o.setSsl(true).setSni(false).setSslEngineOptions(engine(tls));
    o.setEnabledSecureTransportProtocols(new LinkedHashSet<>(Arrays.asList(tls.protocols().split(","))));
    CipherSuites.configured(tls).forEach(o::addEnabledCipherSuite);
  }

  /**
   * What is wrong with a listener's certificate and key files (a key that is not the certificate's, a chain that does
   * not parse, a certificate expired), each naming the settings; empty when they serve, or when none is set. Checked
   * with the settings, before the database is reached: found from outside, such files failed the start only once the
   * node had migrated its database and taken the sync lock.
   */
  public static List<String> fileProblems(String listener, String certFile, String keyFile) {
    if (certFile.isEmpty() || keyFile.isEmpty()) {
      return List.of(); // both or neither: the settings' own check
    }
    try {
      return problems(listener, read(listener + ".tls_cert_file", certFile), read(listener + ".tls_key_file", keyFile));
    } catch (UncheckedIOException e) {
      return List.of(e.getMessage());
    }
  }

  private static List<String> problems(String listener, String cert, String key) {
    List<io.sluice.config.FieldError> errors = new java.util.ArrayList<>();
    Material.check(cert, key, java.time.Instant.now(), errors);
    return errors.stream().map(e -> listener + ".tls_cert_file/" + listener + ".tls_key_file: " + e.field() + ": "
        + e.reason()).toList();
  }

  private static String read(String setting, String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException(setting + ": cannot read " + file + " (" + e.getMessage() + ")", e);
    }
  }

  /** Accepts every client chain at the handshake (possession of its key is still proven); routes verify it. */
  private static final class AnyClient extends X509ExtendedTrustManager {

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("not a client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("not a client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("not a client");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
