package io.sluice.config;

/**
 * What a server name (SNI) may be beyond its syntax: never an IP literal. RFC 6066 section 3 forbids literal IPv4 and
 * IPv6 addresses in a client's server_name, so an SNI {@code 127.0.0.1} or {@code ::1} could never match a handshake
 * (a client that connects by address sends no name and gets the certificate of SNI *), and Sluice sends none to a
 * target named by its address.
 */
public final class ServerNames {

  private ServerNames() {}

  /** Why {@code name} cannot be an SNI, or null. */
  public static String problem(String name) {
    if (ipLiteral(name)) {
      return "an IP address (" + name + ") is no server name: TLS clients never send one (RFC 6066 section 3);"
          + " a client connecting by address gets the certificate of SNI *";
    }
    return null;
  }

  /**
   * Whether {@code host} is an IP address. An IPv4 literal is told by its last label being all digits (no top-level
   * domain is, RFC 3696 section 2), which also catches the short forms ({@code 127.1}) resolvers accept; an IPv6 one
   * by its colon, with or without brackets.
   */
  public static boolean ipLiteral(String host) {
    String last = host.substring(host.lastIndexOf('.') + 1);
    boolean ipv4 = !last.isEmpty() && last.chars().allMatch(c -> c >= '0' && c <= '9');
    return ipv4 || host.indexOf(':') >= 0 || host.startsWith("[");
  }
}
