package io.sluice.settings;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** One {@code host[:port]} of a comma-separated list setting; an IPv6 address with a port goes in brackets. */
public record HostPort(String host, int port) {

  /** A host name or IPv4 address: dot-separated labels (underscores allowed, as some internal names have them). */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?");
  /** An IPv6 address (two colons at least), with a zone id perhaps ({@code fe80::1%eth0}). */
  private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?");

  /**
   * Parses {@code list}, {@code defaultPort} where an entry has none; empty entries are skipped.
   *
   * @throws IllegalArgumentException naming the entry that has no host, a host that is neither a name nor an IP
   *     address (a URL, say), or a port outside 1 to 65535
   */
  public static List<HostPort> parseList(String list, int defaultPort) {
    List<HostPort> out = new ArrayList<>();
    for (String s : list.split(",")) {
      String v = s.trim();
      if (v.isEmpty()) {
        continue;
      }
      int colon = v.lastIndexOf(':');
      // A bare IPv6 address has several colons and no port; [v6]:port has its port after the bracket.
      boolean hasPort = colon >= 0 && (v.indexOf(':') == colon || v.startsWith("[") && v.charAt(colon - 1) == ']');
      String host = (hasPort ? v.substring(0, colon) : v).replace("[", "").replace("]", "");
      if (host.isEmpty()) {
        throw new IllegalArgumentException(v + ": no host");
      }
      if (!NAME.matcher(host).matches() && !V6.matcher(host).matches()) {
        throw new IllegalArgumentException(v + ": the host must be a host name or an IP address");
      }
      out.add(new HostPort(host, hasPort ? port(v, v.substring(colon + 1)) : defaultPort));
    }
    return out;
  }

  private static int port(String entry, String port) {
    int p;
    try {
      p = port.matches("[0-9]{1,5}") ? Integer.parseInt(port) : -1;
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException(entry + ": the port must be a number from 1 to 65535");
    }
    return p;
  }
}
