package io.sluice.config;

import java.util.Locale;

/**
 * Whether the certificate of an SNI would be chosen for requests to a route's host: what keeps one tenant from
 * choosing the certificate another tenant's clients get (a tenant's SNI over another tenant's route host, or a
 * tenant's route on a host another tenant's SNI serves).
 *
 * <p>An SNI name is exact, {@code *.suffix} (one label in front of the suffix, as io.sluice.tls.CertificateSet
 * matches it) or {@code *} (every name nothing else matches: the default certificate). A route host is exact or
 * {@code *.suffix} (any labels in front of the suffix, as io.sluice.route.RouteTable matches it). The answer is yes
 * when some host name matches both, whether or not a more specific SNI would be chosen first: a false conflict is
 * refused with a clear answer, a missed one would hand a tenant's clients another tenant's certificate.
 */
public final class SniClaims {

  private SniClaims() {
  }

  /** Whether a handshake for some host that route host {@code host} serves could get SNI {@code name}'s certificate. */
  public static boolean serves(String name, String host) {
    String n = name.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    if (n.equals("*")) {
      return true;
    }
    boolean wildName = n.startsWith("*.");
    boolean wildHost = h.startsWith("*.");
    if (!wildName && !wildHost) {
      return n.equals(h);
    }
    if (!wildName) {
      return n.endsWith(h.substring(1)); // the route's *.t serves every name under .t
    }
    String s = n.substring(2);
    if (!wildHost) {
      // *.s serves one label in front of s
      return h.endsWith("." + s) && h.indexOf('.') == h.length() - s.length() - 1;
    }
    // *.s serves L.s; *.t serves X.t: some L.s ends with .t when s is t or lies under it
    String t = h.substring(2);
    return s.equals(t) || s.endsWith("." + t);
  }
}
