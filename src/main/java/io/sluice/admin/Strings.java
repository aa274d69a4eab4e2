package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.config.FieldError;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin API's rule for every string it is given: valid UTF-8, no NUL, no lone surrogate (PostgreSQL would
 * refuse the first with a 500 and store the second as '?'), and no other control character (a CR/LF in a
 * username or a header name would later break every request that uses it), except in the fields that hold
 * text blocks (PEM keys and certificates, which have line breaks).
 */
final class Strings {

  /** Fields whose values are text blocks with line breaks. */
  private static final Set<String> MULTILINE = Set.of("public_key", "certificate", "chain", "private_key", "key",
      "ca", "ca_bundle", "pem", "cert");

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

  /** Why {@code s} is refused, or null; {@code multiline} allows CR, LF and tab. */
  static String problem(String s, boolean multiline) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return "must not contain NUL (\\u0000)";
      }
      if (Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(++i))
          : Character.isLowSurrogate(c)) {
        return "must not contain a lone surrogate (invalid Unicode)";
      }
      if ((c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) {
        return "must not contain control characters (0x" + Integer.toHexString(c) + ")";
      }
    }
    return null;
  }

  /** Every string and object key of a document, checked; the failing ones named by their JSON path. */
  static List<FieldError> check(JsonNode doc) {
    List<FieldError> errors = new ArrayList<>();
    walk(doc, "", false, errors);
    return errors;
  }

  private static void walk(JsonNode node, String path, boolean multiline, List<FieldError> errors) {
    if (node.isTextual()) {
      String why = problem(node.asText(), multiline);
      if (why != null) {
        errors.add(new FieldError(path.isEmpty() ? "(body)" : path, why));
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]", multiline, errors);
      }
    } else if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String field = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        String why = problem(e.getKey(), false);
        if (why != null) {
          errors.add(new FieldError(field, "name " + why));
          continue;
        }
        walk(e.getValue(), field, MULTILINE.contains(e.getKey()), errors);
      }
    }
  }
}
