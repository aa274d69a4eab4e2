package io.sluice.proxy;

import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * What kind of failure an upstream call ended with, read from the exception Vert.x or Netty gave: a wait for
 * a pooled connection, a connect timeout, a closed connection, a failed TLS handshake. Pure functions of the
 * exception, kept apart from {@link Attempt} so that the attempt reads as what it does about each kind.
 */
final class UpstreamFailures {

  /** How much of a failure's message goes into the client's error and the log. */
  private static final int MAX_REASON = 300;

  private UpstreamFailures() {
  }

  /** A full pool's queue, or a wait in it that outlasted the connect timeout (Vert.x's own messages). */
  static boolean poolWait(Throwable cause) {
    return cause instanceof io.vertx.core.http.ConnectionPoolTooBusyException
        || cause instanceof TimeoutException && String.valueOf(cause.getMessage()).contains("getting a connection");
  }

  /** A TCP connect (or the TLS handshake after it) that did not end in time. */
  static boolean connectTimeout(Throwable cause) {
    return cause instanceof TimeoutException || cause instanceof io.netty.channel.ConnectTimeoutException
        || String.valueOf(cause.getMessage()).contains("timed out");
  }

  /** The connection closed under the request (as opposed to a target that could not be reached at all). */
  static boolean closed(Throwable cause) {
    return cause instanceof HttpClosedException
        || (cause instanceof IOException && !(cause instanceof ConnectException));
  }

  /** A failed TLS handshake (a certificate not trusted, a name that does not match, no common protocol). */
  static boolean tlsFailure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException) {
        return true;
      }
    }
    return false;
  }

  /** The deepest message of a failure (a TLS handshake's reason is in its cause). */
  static String reason(Throwable cause) {
    String why = String.valueOf(cause.getMessage());
    for (Throwable t = cause.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        why = t.getMessage();
      }
    }
    return why.length() > MAX_REASON ? why.substring(0, MAX_REASON) : why;
  }

  /**
   * Why a status the target answered (below 200 or above 599) cannot be relayed. Vert.x's client reads any three or
   * more digits as a status ({@code HTTP/1.1 2000 OK}), which no client could read; and it reports only 100 and 103
   * as interim answers, taking any other 1xx (102, 104) for the final head and losing the real one behind it.
   */
  static String unrelayable(String target, int status) {
    return "target " + target + " answered " + (status < 100 || status > 599 ? "status " + status + ", outside 100-599"
        : status + ", an interim status the gateway cannot relay (103 is relayed)");
  }
}
