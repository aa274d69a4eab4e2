package io.sluice.policy;

import java.nio.charset.StandardCharsets;

/**
 * Header values a policy writes (a consumer's name, a transformer's configured value, a client certificate's
 * subject) as the octets an upstream or a client reads, whatever characters they hold.
 */
public final class HeaderValues {

  private HeaderValues() {}

  /**
   * {@code value} as the octets of a header field: its UTF-8 bytes, one char per byte. The header encoders
   * (HTTP/1.1's and HPACK) write a char up to 0xFF as that byte and any other as {@code ?}, so consumers 张三 and
   * 李四 both reached the upstream as {@code ??}; RFC 9110 section 5.5 allows the bytes 0x80 to 0xFF (obs-text) in a
   * value, and an upstream reading it as UTF-8 (as Kong's and nginx's do) gets the text back. A CR or LF, which
   * would end the line, becomes a space (stored values are refused control characters when written).
   */
  public static String utf8(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 0x80 || c == '\r' || c == '\n') {
        byte[] utf8 = value.replace('\r', ' ').replace('\n', ' ').getBytes(StandardCharsets.UTF_8);
        return new String(utf8, StandardCharsets.ISO_8859_1);
      }
    }
    return value; // ASCII: its bytes already (most names, and every id)
  }
}
