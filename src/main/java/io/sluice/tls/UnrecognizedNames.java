package io.sluice.tls;

import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.internal.tcnative.SSLContext;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's TLS engine, refusing a handshake whose server name no SNI matches (with no SNI {@code *}) with the
 * alert {@code unrecognized_name} (112), as RFC 6066 section 3 says, where the engine would otherwise go on, find
 * no certificate in {@link SniKeyManager} and fail with {@code internal_error} (BoringSSL) or
 * {@code handshake_failure} (the JDK's). The name is checked against the live {@link CertificateSet} while the
 * ClientHello is read: BoringSSL through its servername callback (set on the context directly, rather than through
 * Netty's engine matchers, which would throw on a name the JDK cannot parse, such as one with an underscore), the
 * JDK's engine through an {@link SNIMatcher}. A client that sends no name is not concerned: it gets SNI *, or
 * {@link NamelessHandshakes} refuses it.
 */
final class UnrecognizedNames {

  private static final Logger LOG = LoggerFactory.getLogger(UnrecognizedNames.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private UnrecognizedNames() {}

  /** Whether a handshake naming {@code name} gets a certificate (its own SNI's, a wildcard's, or SNI *'s). */
  static boolean known(LiveCertificates live, String name) {
    return live.current().select(name) != null;
  }

  /**
   * tcnative's context of {@code context}, or 0 (logged once) when this Netty keeps it elsewhere: its handshakes for
   * unknown names then fail with internal_error as before, nothing worse.
   */
  static long tcnContext(ReferenceCountedOpenSslContext context) {
    try {
      Field ctx = ReferenceCountedOpenSslContext.class.getDeclaredField("ctx");
      ctx.setAccessible(true);
      return ctx.getLong(context);
    } catch (ReflectiveOperationException | RuntimeException e) {
      if (!WARNED.getAndSet(true)) {
        LOG.warn("BoringSSL: cannot reach Netty's TLS context ({}): a server name no SNI matches gets internal_error,"
            + " not unrecognized_name", e.toString());
      }
      return 0;
    }
  }

  /** A server {@code context} of the proxy's listener ({@link ServerContexts}), given the check of the name. */
  static SslContext refusing(SslContext context, LiveCertificates live) {
    if (context instanceof ReferenceCountedOpenSslContext openSsl) {
      // tcnative answers a false with SSL_TLSEXT_ERR_ALERT_FATAL, whose alert is unrecognized_name by default.
      // It takes tcnative's own context (Netty's protected field ctx), not the SSL_CTX that context() gives.
      long tcnContext = tcnContext(openSsl);
      if (tcnContext != 0) {
        SSLContext.setSniHostnameMatcher(tcnContext, (ssl, name) -> known(live, name));
      }
      return context;
    }
    SNIMatcher matcher = new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
      @Override
      public boolean matches(SNIServerName name) {
        return name instanceof SNIHostName host && known(live, host.getAsciiName());
      }
    };
    return new DelegatingSslContext(context) {
      @Override
      protected void initEngine(SSLEngine engine) {
        // Vert.x configures the engine afterwards from getSSLParameters(), which keeps the matcher.
        SSLParameters p = engine.getSSLParameters();
        p.setSNIMatchers(List.of(matcher));
        engine.setSSLParameters(p);
      }
    };
  }
}
