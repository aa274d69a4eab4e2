package io.sluice.proxy;

import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.http.HttpConnection;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An error that ends an HTTP/2 client connection before its SETTINGS were read (a corrupt preface, another frame
 * first) is logged at DEBUG, as the errors after them are. Vert.x gives the connection its exception handler only
 * once the client's SETTINGS are read, and before that it logged each error at ERROR from {@code ConnectionBase},
 * with the client's bytes in hex: a client could write ERROR lines at will. The connection still ends as Netty ends
 * it (GOAWAY PROTOCOL_ERROR, then closed). Set before the first frame is read: on h2c by {@link H2cPriorKnowledge},
 * over TLS once the handshake is done ({@code io.sluice.tls.AfterHandshake}).
 *
 * <p>Vert.x's HTTP/2 handler keeps its connection in a private field, read by reflection; if an upgrade moves it,
 * this is skipped with one warning, and {@code H2FrameAbuseTest} fails.
 */
final class H2ConnectionErrors {

  private static final Logger LOG = LoggerFactory.getLogger(H2ConnectionErrors.class);
  private static final Field CONNECTION = field();

  private H2ConnectionErrors() {}

  /** Gives the Vert.x connection of {@code h2} an exception handler until Vert.x gives it the server's. */
  static void quiet(Http2ConnectionHandler h2) {
    if (CONNECTION == null || !CONNECTION.getDeclaringClass().isInstance(h2)) {
      return;
    }
    try {
      if (CONNECTION.get(h2) instanceof HttpConnection connection) {
        connection.exceptionHandler(err -> LOG.debug("HTTP/2 connection error before SETTINGS: {}", err.toString()));
      }
    } catch (IllegalAccessException e) {
      LOG.warn("HTTP/2: cannot reach Vert.x's connection ({}); an error before SETTINGS is logged at ERROR", e);
    }
  }

  private static Field field() {
    try {
      Field f = Class.forName("io.vertx.core.http.impl.VertxHttp2ConnectionHandler").getDeclaredField("connection");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("HTTP/2: Vert.x's handler has no field connection ({}); an error before SETTINGS is logged at ERROR",
          e.toString());
      return null;
    }
  }
}
