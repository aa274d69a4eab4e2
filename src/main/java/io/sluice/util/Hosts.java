package io.sluice.util;

import java.util.Locale;

/**
 * A host name as a request names it (Host, {@code :authority}, TLS server name), in the form the gateway compares
 * with configured hosts (routes, SNIs): lower case, and without the trailing dot of a fully qualified name, which
 * curl and browsers send as typed ({@code b.test.} is {@code b.test}, as nginx and DNS read it). One dot only:
 * {@code b.test..} or {@code .} keep a dot, and no configured host ends with one, so they match nothing.
 */
public final class Hosts {

  private Hosts() {}

  /** {@code host} (a name without port; null: none) lower-cased, one trailing dot removed. */
  public static String canonical(String host) {
    if (host == null) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT); // the same instance when already lower case: no copy per request
    int last = h.length() - 1;
    return last >= 0 && h.charAt(last) == '.' ? h.substring(0, last) : h;
  }
}
