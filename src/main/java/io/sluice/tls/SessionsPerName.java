package io.sluice.tls;

import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import io.netty.internal.tcnative.SSLSession;
import io.netty.internal.tcnative.SSLSessionCache;
import io.sluice.util.Hosts;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's TLS sessions under BoringSSL, each resumed only for the server name it was made for: RFC 6066 section 3
 * forbids resuming a session negotiated for another name, which would serve that name's certificate for this one.
 * One SSL context answers every name ({@link SniKeyManager}), and BoringSSL resumes any session of its context under
 * any name; the session id context that would tell them apart belongs to the context, not to the connection. So:
 *
 * <ul>
 *   <li>TLS 1.2 session ids: Netty's session cache sits behind this one, which notes the name each new session was
 *       made for (none, for a client that sent none) and hands a session only to a handshake for that same name (case
 *       aside); any other handshake is a full one, with the certificate of its own name.</li>
 *   <li>Session tickets (BoringSSL's only way to resume TLS 1.3, and TLS 1.2's for a client that offers one) are off
 *       on every connection; Netty turns them on wherever TLS 1.3 is enabled. BoringSSL opens a ticket with the
 *       context's keys, and neither Netty nor tcnative lets Sluice see the ticket's name first.</li>
 * </ul>
 *
 * <p>The cost: a TLS 1.3 client never resumes under BoringSSL, so each of its connections is a full handshake (one
 * round trip as a resumption is, but the server signs and sends its chain every time, and the client checks it). TLS
 * 1.2 clients resume by session id as before. The JDK's engine ({@code tls.engine: jdk}) needs none of this: it
 * refuses itself to resume a session under another name, TLS 1.2 and 1.3, given the SNI matcher of
 * {@link UnrecognizedNames} ({@code SessionResumptionTest}).
 */
final class SessionsPerName implements SSLSessionCache {

  private static final Logger LOG = LoggerFactory.getLogger(SessionsPerName.class);
  /**
   * Names noted at most, the oldest forgotten first: as many as Netty's server cache holds sessions by default. A
   * session whose name is forgotten is not resumed.
   */
  private static final int MAX_NAMES = 20_480;

  private final SSLSessionCache netty;
  /** The canonical server name ("" for none) each session was made for, by session id. */
  private final Map<ByteBuffer, String> names = new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ByteBuffer, String> eldest) {
      return size() > MAX_NAMES;
    }
  };

  private SessionsPerName(SSLSessionCache netty) {
    this.netty = netty;
  }

  /**
   * A server {@code context} of the proxy's listener ({@link ServerContexts}) whose sessions are resumed per name as
   * above; any other context as it is. Where this Netty keeps its session cache elsewhere, BoringSSL's sessions are
   * not resumed at all (logged): a full handshake each time, never another name's session.
   */
  static SslContext bind(SslContext context) {
    if (!(context instanceof ReferenceCountedOpenSslContext openSsl) || context.isClient()) {
      return context;
    }
    OpenSslSessionContext sessions = openSsl.sessionContext();
    long tcnContext = UnrecognizedNames.tcnContext(openSsl);
    SSLSessionCache netty = tcnContext == 0 ? null : nettyCache(sessions);
    if (netty == null) {
      sessions.setSessionCacheEnabled(false);
    } else {
      SSLContext.setSSLSessionCache(tcnContext, new SessionsPerName(netty));
    }
    return new DelegatingSslContext(context) {
      @Override
      protected void initEngine(SSLEngine engine) {
        SSL.setOptions(((ReferenceCountedOpenSslEngine) engine).sslPointer(), SSL.SSL_OP_NO_TICKET);
      }
    };
  }

  private static SSLSessionCache nettyCache(OpenSslSessionContext sessions) {
    try {
      Field cache = OpenSslSessionContext.class.getDeclaredField("sessionCache");
      cache.setAccessible(true);
      return (SSLSessionCache) cache.get(sessions);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("BoringSSL: cannot reach Netty's TLS session cache ({}): TLS sessions are not resumed", e.toString());
      return null;
    }
  }

  private static String nameOf(long ssl) {
    String name = SSL.getSniHostname(ssl);
    return name == null ? "" : Hosts.canonical(name);
  }

  @Override
  public boolean sessionCreated(long ssl, long session) {
    ByteBuffer id = ByteBuffer.wrap(SSLSession.getSessionId(session)); // read first: Netty may own it from here on
    String name = nameOf(ssl);
    boolean kept = netty.sessionCreated(ssl, session);
    if (kept) {
      synchronized (names) {
        names.put(id, name);
      }
    }
    return kept;
  }

  @Override
  public long getSession(long ssl, byte[] sessionId) {
    String madeFor;
    synchronized (names) {
      madeFor = names.get(ByteBuffer.wrap(sessionId));
    }
    return madeFor != null && madeFor.equals(nameOf(ssl)) ? netty.getSession(ssl, sessionId) : -1;
  }
}
