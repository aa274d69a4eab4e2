package io.sluice.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.sluice.testing.Gateway;
import io.sluice.testing.TestCa;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * TLS session resumption on the proxy's listener, with a client that offers a session made for one server name to a
 * handshake for another: Netty's BoringSSL client, which keeps sessions by address (as {@code openssl s_client
 * -sess_in} does; the JDK's client would send the session's own name instead). A session is resumed for its own
 * name; for another name the handshake is a full one, with that name's certificate (RFC 6066 section 3). Whether a
 * handshake resumed is read from the client's trust manager: a server that resumes sends no certificate to check.
 */
@ExtendWith(VertxExtension.class)
class SessionResumptionTest {

  private final TestCa ca = new TestCa("Sluice Resumption CA");
  /** The subject of each certificate the client checked: one per full handshake. */
  private final List<String> checked = new CopyOnWriteArrayList<>();
  private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    gw = new Gateway(vertx, Map.of("SLUICE_TLS_ENGINE", engine()));
    sni("api.example.test");
    sni("rot.test");
  }

  @AfterEach
  void stop() {
    gw.close();
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  /** tls.engine of the node: BoringSSL; {@link SessionResumptionJdkEngineTest} runs the same with the JDK's. */
  String engine() {
    return "openssl";
  }

  @Test
  void a_session_is_resumed_for_its_own_server_name_only_and_another_name_gets_a_full_handshake_with_its_certificate()
      throws Exception {
    for (String protocol : List.of("TLSv1.2", "TLSv1.3")) {
      SslContext client = client(protocol);
      assertEquals(new Handshake("CN=api.example.test", false), handshake(client, "api.example.test"), protocol);
      // BoringSSL resumes TLS 1.3 with tickets only, which the proxy does not issue (SessionsPerName).
      boolean resumes = protocol.equals("TLSv1.2") || engine().equals("jdk");
      assertEquals(new Handshake("CN=api.example.test", resumes), handshake(client, "api.example.test"),
          engine() + " " + protocol + ": the same name resumes its session");
      assertEquals(new Handshake("CN=rot.test", false), handshake(client, "rot.test"), engine() + " " + protocol
          + ": the session of api.example.test, offered for rot.test, is not resumed");
    }
  }

  private void sni(String name) {
    TestCa.Issued issued = ca.issue(name, Duration.ofDays(30), name);
    JsonObject cert = gw.create("/certificates", new JsonObject().put("cert", issued.certPem())
        .put("key", issued.keyPem()));
    gw.create("/snis", new JsonObject().put("name", name).put("certificate", cert.getString("id")));
  }

  /** One handshake: the subject of the certificate its session holds, and whether it resumed a session. */
  private record Handshake(String subject, boolean resumed) {}

  /** A handshake for {@code serverName}, then a request (TLS 1.3 tickets come after the handshake) and its answer. */
  private Handshake handshake(SslContext client, String serverName) throws Exception {
    int before = checked.size();
    int port = gw.node().proxyTlsPort();
    SSLEngine engine = client.newEngine(ByteBufAllocator.DEFAULT, "127.0.0.1", port);
    SSLParameters p = engine.getSSLParameters();
    p.setServerNames(List.of(new SNIHostName(serverName)));
    p.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(p);
    SslHandler tls = new SslHandler(engine);
    Channel ch = new Bootstrap().group(loop).channel(NioSocketChannel.class).handler(tls)
        .connect("127.0.0.1", port).sync().channel();
    assertTrue(tls.handshakeFuture().await(10, TimeUnit.SECONDS), serverName);
    tls.handshakeFuture().sync();
    ch.writeAndFlush(Unpooled.copiedBuffer("GET /open HTTP/1.1\r\nHost: " + serverName
        + "\r\nConnection: close\r\n\r\n", StandardCharsets.US_ASCII));
    assertTrue(ch.closeFuture().await(10, TimeUnit.SECONDS), "the proxy answers and closes");
    String subject = ((X509Certificate) engine.getSession().getPeerCertificates()[0])
        .getSubjectX500Principal().getName();
    return new Handshake(subject, checked.size() == before);
  }

  /** A BoringSSL client of {@code protocol} (one session cache) that trusts the CA and records what it checks. */
  private SslContext client(String protocol) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    X509ExtendedTrustManager trusted = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
    return SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL).protocols(protocol)
        .trustManager(new Recording(trusted)).build();
  }

  /** Checks a server's chain as {@code trusted} does, and records its leaf's subject. */
  private final class Recording extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trusted;

    Recording(X509ExtendedTrustManager trusted) {
      this.trusted = trusted;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trusted.checkServerTrusted(chain, authType, engine);
      checked.add(chain[0].getSubjectX500Principal().getName());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trusted.checkServerTrusted(chain, authType, socket);
      checked.add(chain[0].getSubjectX500Principal().getName());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("only with an engine (the server name is checked)");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trusted.getAcceptedIssuers();
    }
  }
}
