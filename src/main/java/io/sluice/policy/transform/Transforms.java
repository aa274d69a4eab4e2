package io.sluice.policy.transform;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.util.ConnectionHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The edits of request-transformer and response-transformer, applied in this order: remove, rename (old name
 * to new; the value moves), replace (only when present), add (only when absent).
 */
public record Transforms(Ops remove, Ops rename, Ops replace, Ops add) {

  /**
   * These edits less every one that names a header the proxy owns ({@link ConnectionHeaders#transformRefusal}):
   * such a configuration is refused when written and when read from the store, and is dropped here as well,
   * so that whatever builds a transformer, it never writes a second framing or a connection option.
   */
  Transforms withoutConnectionHeaders() {
    return new Transforms(remove.allowed(false), rename.allowed(true), replace.allowed(false), add.allowed(false));
  }

  private static boolean mayTouch(Object name) {
    return name instanceof String s && ConnectionHeaders.transformRefusal(s) == null;
  }

  /** One operation on headers and query parameters (response-transformer has headers only). */
  public record Ops(@JsonProperty("headers") Object headers, @JsonProperty("querystring") Object querystring) {

    /** The same operation without the header names a transformer may not touch (for rename: either name). */
    Ops allowed(boolean rename) {
      Object kept = headers;
      if (headers instanceof List<?> l) {
        kept = l.stream().filter(Transforms::mayTouch).toList();
      } else if (headers instanceof Map<?, ?> m) {
        Map<Object, Object> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> {
          if (mayTouch(k) && (!rename || mayTouch(v))) {
            copy.put(k, v);
          }
        });
        kept = copy;
      }
      return new Ops(kept, querystring);
    }

    @SuppressWarnings("unchecked")
    List<String> headerList() {
      return headers instanceof List<?> l ? (List<String>) l : List.of();
    }

    @SuppressWarnings("unchecked")
    List<String> queryList() {
      return querystring instanceof List<?> l ? (List<String>) l : List.of();
    }

    @SuppressWarnings("unchecked")
    Map<String, String> headerMap() {
      return headers instanceof Map<?, ?> m ? (Map<String, String>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    Map<String, String> queryMap() {
      return querystring instanceof Map<?, ?> m ? (Map<String, String>) m : Map.of();
    }
  }
}
