package io.sluice.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The mappers that read what users send (admin API bodies, declarative files, node settings): a key given twice
 * in one object, or anything after the document's value, is an error rather than resolved silently (the last
 * value winning, the rest ignored), so that the gateway never acts on a reading of a document that another
 * parser would read otherwise.
 */
public final class InputMappers {

  private InputMappers() {}

  /** A JSON mapper that refuses duplicate keys and trailing content. */
  public static ObjectMapper json() {
    return JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }

  /** A YAML mapper (JSON is YAML too) that refuses duplicate keys and a second document. */
  public static ObjectMapper yaml() {
    return YAMLMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }

  /** Why a document did not parse, in words for its author (Jackson's own, but for content after the value). */
  public static String reason(JacksonException e) {
    String m = e.getOriginalMessage();
    return m != null && m.startsWith("Trailing token") ? "content after the end of the document" : m;
  }
}
