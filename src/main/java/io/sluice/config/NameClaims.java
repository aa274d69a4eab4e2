package io.sluice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Host names held by tenants: what keeps one tenant from squatting on another's names. A tenant holds each host of
 * its routes and each SNI of its certificates, and with a name every name under it (a name's subdomains go with
 * it): {@code b.test} holds itself and {@code api.b.test}; {@code *.b.test} holds {@code b.test} too. The SNI
 * {@code *} (the default certificate) holds nothing: it is the operator's, as routes without hosts are.
 *
 * <p>Two holdings meet when the name one starts at is the other's or lies under it. A name written with a tenant
 * token that meets a name another tenant holds is refused both ways: under the other's name it would serve, or choose
 * the certificate of, hosts of the other's (the SNI {@code *.b.test}, a route on {@code api.b.test}); over it, it
 * would hold the names under it, so that the other could no longer add names of its own (a route on {@code *.test}
 * would leave the holder of {@code b.test} no {@code api.b.test}). That is wider than what the route table or the
 * TLS listener would pick first: the check errs towards a conflict.
 */
public final class NameClaims {

  private NameClaims() {
  }

  /**
   * The name a holding starts at, in lower case: the suffix of {@code *.suffix}, the name itself otherwise; null
   * for {@code *}.
   */
  public static String root(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("*")) {
      return null;
    }
    return n.startsWith("*.") ? n.substring(2) : n;
  }

  /** Whether the holdings of {@code a} and {@code b} meet: one starts at the other's name or under it. */
  public static boolean meet(String a, String b) {
    String x = root(a);
    String y = root(b);
    return x != null && y != null && (x.equals(y) || x.endsWith("." + y) || y.endsWith("." + x));
  }

  /**
   * Whether {@code name} is equal to or under one of {@code assigned} (the host names an operator assigned to a
   * tenant): its holding starts at an assigned name's or under it ({@code *.b.test} assigned is {@code b.test}
   * assigned, as a holding). Never for {@code *}, which holds nothing.
   */
  public static boolean within(String name, List<String> assigned) {
    String x = root(name);
    if (x == null) {
      return false;
    }
    for (String a : assigned) {
      String y = root(a);
      if (y != null && (x.equals(y) || x.endsWith("." + y))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The names a holding that meets {@code name}'s at or above it may be held as: its root and every parent of it,
   * each also as {@code *.}that (for {@code api.b.test}: {@code api.b.test}, {@code *.api.b.test}, {@code b.test},
   * {@code *.b.test}, {@code test}, {@code *.test}). The holdings under it are the names that end with
   * {@code .}root. Empty for {@code *}.
   */
  public static List<String> atOrAbove(String name) {
    String r = root(name);
    List<String> out = new ArrayList<>();
    for (String n = r; n != null; n = n.indexOf('.') < 0 ? null : n.substring(n.indexOf('.') + 1)) {
      out.add(n);
      out.add("*." + n);
    }
    return out;
  }
}
