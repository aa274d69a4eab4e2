package io.sluice.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.ValueNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.math.BigDecimal;

/**
 * The mappers that read what users send (admin API bodies, declarative files, node settings): a key given twice
 * in one object, or anything after the document's value, is an error rather than resolved silently (the last
 * value winning, the rest ignored), so that the gateway never acts on a reading of a document that another
 * parser would read otherwise. A whole-number float ({@code 1.0}, {@code 1e2}) is read as the integer it is, as
 * JSON Schema counts it: every numeric field of Sluice is an integer, and each is then stored and answered as
 * one ({@code 100}, never {@code 100.0}, nor a 500 from an integer column given {@code 1.0}). A float is read
 * exactly, never through a double: {@code 1e-400} underflowed to 0 and was taken as the integer 0, where it is a
 * fraction (refused as one); {@code 1e400}, or {@code 1e9999999999} that no decimal holds, is refused as out of
 * range where it stands ({@link InputNumbers}), never an infinity nor Jackson's exception (a 500).
 */
public final class InputMappers {

  /** Trees whose whole-number floats are integer nodes (int when it fits, as Jackson reads {@code 100}). */
  private static final JsonNodeFactory WHOLE_NUMBERS = new JsonNodeFactory() {
    @Override
    public NumericNode numberNode(double v) {
      return v == Math.rint(v) && Math.abs(v) < 0x1p63 ? integer((long) v) : super.numberNode(v);
    }

    @Override
    public NumericNode numberNode(float v) {
      return numberNode((double) v);
    }

    @Override
    public ValueNode numberNode(BigDecimal v) {
      // A whole number beyond a long does not come from a parser: it refuses it where it stands (InputNumbers).
      return v == null || v.stripTrailingZeros().scale() > 0 || !InputNumbers.within(v) ? super.numberNode(v)
          : integer(v.longValueExact());
    }

    private NumericNode integer(long v) {
      return v == (int) v ? numberNode((int) v) : numberNode(v);
    }
  };

  private InputMappers() {}

  /** A JSON mapper that refuses duplicate keys, trailing content and numbers out of range. */
  public static ObjectMapper json() {
    return JsonMapper.builder(new InputNumbers.Json())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .nodeFactory(WHOLE_NUMBERS)
        .build();
  }

  /**
   * A YAML mapper (JSON is YAML too) that refuses duplicate keys, a second document, and anchors and aliases
   * ({@link AliasFreeYaml}), and numbers out of range ({@link InputNumbers}). Booleans are YAML 1.2's, {@code true}
   * and {@code false} only: YAML 1.1 also read {@code yes}, {@code no}, {@code on}, {@code off}, {@code y} and
   * {@code n} unquoted as booleans, so a header value {@code NO} (Norway) or {@code off} was refused as a boolean where a string is expected; now it is the
   * string, and {@code strip_path: yes} is refused as a string where a boolean is expected.
   */
  public static ObjectMapper yaml() {
    return YAMLMapper.builder(new AliasFreeYaml())
        .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .nodeFactory(WHOLE_NUMBERS)
        .build();
  }

  /**
   * Where in the document the parser stopped, for its author: {@code " at line 3, column 14"}, or nothing when the
   * parser knows no place.
   */
  public static String where(JacksonException e) {
    var at = e.getLocation();
    return at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
  }

  /** Why a document did not parse, in words for its author (Jackson's own, but for content after the value). */
  public static String reason(JacksonException e) {
    String m = e.getOriginalMessage();
    if (m == null) {
      return null;
    }
    // Jackson names its own setting ("..., from `StreamReadConstraints.getMaxNestingDepth()`"): the limit is enough.
    m = m.replaceAll(", from `[^`]*`", "");
    return m.startsWith("Trailing token") ? "content after the end of the document" : m;
  }
}
