package io.sluice.policy.iprestriction;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address), matched by prefix bits. */
record Cidr(byte[] network, int bits) {

  /** Parses a block; only literal addresses (never a name lookup). */
  static Cidr parse(String text) {
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    byte[] a = literal(addr);
    if (a == null) {
      throw new IllegalArgumentException("not an IP address: " + text);
    }
    int bits = slash < 0 ? a.length * 8 : Integer.parseInt(text.substring(slash + 1));
    if (bits < 0 || bits > a.length * 8) {
      throw new IllegalArgumentException("prefix length out of range: " + text);
    }
    return new Cidr(a, bits);
  }

  /** The bytes of a literal IPv4 or IPv6 address, or null for anything else. */
  static byte[] literal(String s) {
    if (s == null || s.isEmpty() || s.length() > 45) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
      if (!ok) {
        return null; // InetAddress would resolve a name: never
      }
    }
    if (s.indexOf(':') < 0 && !s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return null;
    }
    try {
      return InetAddress.getByName(s).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  boolean contains(byte[] ip) {
    if (ip == null || ip.length != network.length) {
      return false;
    }
    int full = bits / 8;
    for (int i = 0; i < full; i++) {
      if (ip[i] != network[i]) {
        return false;
      }
    }
    int rest = bits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (ip[full] & mask) == (network[full] & mask);
  }
}
