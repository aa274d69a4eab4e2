package io.sluice.tls;

import io.netty.handler.ssl.SslContext;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS engine options whose server contexts pass through a function before Vert.x uses them (client contexts are left
 * as they are): how the proxy's listener gets what Vert.x's options have no setting for, the refusal of server names
 * no SNI matches ({@link UnrecognizedNames}), of handshakes naming none ({@link NamelessHandshakes}), TLS sessions
 * resumed per server name ({@link SessionsPerName}) and the set-up of a connection before its first read
 * ({@link AfterHandshake}). Vert.x copies engine options; each copy keeps the function.
 */
final class ServerContexts {

  private ServerContexts() {}

  /** {@code engine} (as {@link TlsOptions#engine} chose it), its server contexts passed through {@code server}. */
  static SSLEngineOptions engine(SSLEngineOptions engine, UnaryOperator<SslContext> server) {
    if (engine instanceof OpenSSLEngineOptions openSsl) {
      return new OpenSsl(openSsl, server);
    }
    return new Jdk((JdkSSLEngineOptions) engine, server);
  }

  private static final class OpenSsl extends OpenSSLEngineOptions {
    private final UnaryOperator<SslContext> server;

    OpenSsl(OpenSSLEngineOptions options, UnaryOperator<SslContext> server) {
      super(options);
      this.server = server;
    }

    @Override
    public OpenSsl copy() {
      return new OpenSsl(this, server);
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return new Factory(super.sslContextFactory(), server);
    }
  }

  private static final class Jdk extends JdkSSLEngineOptions {
    private final UnaryOperator<SslContext> server;

    Jdk(JdkSSLEngineOptions options, UnaryOperator<SslContext> server) {
      super(options);
      this.server = server;
    }

    @Override
    public Jdk copy() {
      return new Jdk(this, server);
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return new Factory(super.sslContextFactory(), server);
    }
  }

  /** Vert.x's factory, its server contexts passed through the function. */
  private static final class Factory implements SslContextFactory {
    private final SslContextFactory delegate;
    private final UnaryOperator<SslContext> server;

    Factory(SslContextFactory delegate, UnaryOperator<SslContext> server) {
      this.delegate = delegate;
      this.server = server;
    }

    @Override
    public SslContext create() throws SSLException {
      SslContext context = delegate.create();
      return context.isClient() ? context : server.apply(context);
    }

    @Override
    public SslContextFactory useAlpn(boolean useAlpn) {
      delegate.useAlpn(useAlpn);
      return this;
    }

    @Override
    public SslContextFactory clientAuth(io.netty.handler.ssl.ClientAuth clientAuth) {
      delegate.clientAuth(clientAuth);
      return this;
    }

    @Override
    public SslContextFactory forClient(boolean forClient) {
      delegate.forClient(forClient);
      return this;
    }

    @Override
    public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
      delegate.keyMananagerFactory(kmf);
      return this;
    }

    @Override
    public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
      delegate.trustManagerFactory(tmf);
      return this;
    }

    @Override
    public SslContextFactory enabledCipherSuites(Set<String> cipherSuites) {
      delegate.enabledCipherSuites(cipherSuites);
      return this;
    }

    @Override
    public SslContextFactory applicationProtocols(List<String> protocols) {
      delegate.applicationProtocols(protocols);
      return this;
    }

    @Override
    public SslContextFactory serverName(String serverName) {
      delegate.serverName(serverName);
      return this;
    }
  }
}
