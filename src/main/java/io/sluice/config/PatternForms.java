package io.sluice.config;

import java.util.Map;

/**
 * What each {@code pattern} of the shipped JSON Schemas asks for, in words: a refusal names the form
 * (": 1 to 128 letters, digits...") instead of the regular expression, which can be hundreds of
 * characters, or a bare "not of the expected form" that leaves the user guessing. PatternFormsTest keeps
 * every pattern of every schema in this table.
 */
final class PatternForms {

  private static final String TOKEN_CHARS = "letters, digits and !#$%&'*+.^_`|~-";
  private static final String HOST = "a host name (dot-separated labels of letters, digits and '-', none starting or"
      + " ending with '-', at most 63 characters each)";

  private static final Map<String, String> FORMS = Map.ofEntries(
      Map.entry("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
          "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (no spaces)"),
      Map.entry("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
          "1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"),
      Map.entry("^[a-z][a-z0-9-]{0,63}$", "1 to 64 lower-case letters, digits or '-', starting with a letter"),
      Map.entry("^[A-Za-z0-9._-]{1,200}$", "1 to 200 letters, digits, '.', '_' or '-'"),
      Map.entry("^[A-Za-z0-9._~-]{1,64}$", "1 to 64 letters, digits, '.', '_', '~' or '-'"),
      Map.entry("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$", "a header name: 1 to 64 " + TOKEN_CHARS),
      Map.entry("^([!#$%&'*+.^_`|~0-9A-Za-z-]+)?$", "a header name (" + TOKEN_CHARS + "), or empty"),
      Map.entry("^(ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$", "ip, or header: followed by a header name"),
      Map.entry("^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f]*$",
          "text without control characters (a tab is allowed)"),
      Map.entry("^sha256:[0-9a-f]{64}$", "sha256: followed by 64 lower-case hex digits"),
      Map.entry("^hmac-sha256:[0-9a-f]{64}$", "hmac-sha256: followed by 64 lower-case hex digits"),
      Map.entry("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
          "a UUID (8-4-4-4-12 hex digits)"),
      Map.entry("-----BEGIN CERTIFICATE-----", "PEM: one or more -----BEGIN CERTIFICATE----- blocks"),
      Map.entry("^/", "a path starting with '/'"),
      Map.entry("^/\\S*$", "a path starting with '/', without spaces"),
      Map.entry("^[^\\s/]+$", "a host name or host:port, without spaces or '/'"),
      Map.entry("^(/|=/|~)",
          "a path: /prefix (whole segments), =/exact, /users/{id} (a template) or ~regex"),
      Map.entry("^(\\*\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*$",
          "a host name, exact or *.example.com: letters, digits and '-' between dots, without a trailing dot:"
              + " b.test, not b.test. (requests naming b.test. reach b.test)"),
      Map.entry("^(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
          HOST + ", or *.example.com"),
      Map.entry("^(\\*|(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$",
          "*, " + HOST + ", or *.example.com"),
      Map.entry("^(\\*|(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$",
          "*, a lower-case host name (dot-separated labels of a-z, 0-9 and '-'), or *.example.com"),
      Map.entry("^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)$",
          "*, or an origin: http:// or https://, a host and an optional :port, nothing after"),
      Map.entry("^(((https?|h2c?)://)?(([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)*"
              + "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.?|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}|srv://[A-Za-z0-9_.-]+"
              + "|k8s://[a-z0-9-]{1,63}\\.[a-z0-9-]{1,63}:([0-9]{1,5}|[a-z0-9-]*[a-z][a-z0-9-]*))$",
          "host:port (a host name: letters, digits, '-' and '_' between dots; an IPv4 address; or [v6:address] for"
              + " IPv6), optionally after http://, https://, h2:// or h2c://;"
              + " or srv://NAME; or k8s://SERVICE.NAMESPACE:PORT"),
      Map.entry("^(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
              + "(/([0-9]|[12][0-9]|3[0-2]))?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?)$",
          "an IPv4 or IPv6 address, or a CIDR block (10.0.0.0/8, 2001:db8::/32)"));

  private PatternForms() {}

  /** The form {@code pattern} asks for, in words; null for a pattern this table does not know. */
  static String of(String pattern) {
    return FORMS.get(pattern);
  }

  static boolean knows(String pattern) {
    return FORMS.containsKey(pattern);
  }
}
