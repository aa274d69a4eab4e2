package io.sluice.admin;

import io.sluice.config.FieldError;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The admin API's bytes and query strings: a body, and each query parameter, must be valid UTF-8; the strings
 * in them are then held to {@link io.sluice.config.InputStrings}, the rule of every string a user gives.
 */
final class Strings {

  private Strings() {}

  /** The body decoded as UTF-8, refusing bytes that are not (instead of replacing them with U+FFFD). */
  static String utf8(Buffer body) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body.getBytes())).toString();
    } catch (CharacterCodingException e) {
      throw ApiException.invalid(List.of(new FieldError("(body)", "is not valid UTF-8")));
    }
  }

  /**
   * The first parameter of a raw query string whose name or value does not percent-decode to UTF-8 (a decoder
   * that replaced the bytes with U+FFFD would let {@code ?tenant=%ff} filter by a name nobody gave), or null.
   */
  static FieldError rawQueryProblem(String query) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    for (String part : query.split("&")) {
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      String nameWhy = undecodable(name);
      String field = nameWhy == null ? decoded(name) : "(query)";
      String why = nameWhy != null ? "a parameter name " + nameWhy : eq < 0 ? null : undecodable(part.substring(eq + 1));
      if (why != null) {
        return new FieldError(field, why);
      }
    }
    return null;
  }

  /** Why a percent-encoded query component does not decode to UTF-8, or null. */
  private static String undecodable(String s) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
        int lo = hi < 0 ? -1 : Character.digit(s.charAt(i + 2), 16);
        if (lo < 0) {
          return "holds a malformed percent-encoding";
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c > 0xff) {
        bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      } else {
        bytes.write(c); // the decoder hands the request line over byte for byte (a raw byte is one char)
      }
    }
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()));
      return null;
    } catch (CharacterCodingException e) {
      return "is not valid UTF-8";
    }
  }

  private static String decoded(String name) {
    return java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
  }
}
