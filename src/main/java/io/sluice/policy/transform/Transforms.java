package io.sluice.policy.transform;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The edits of request-transformer and response-transformer, applied in this order: remove, rename (old name
 * to new; the value moves), replace (only when present), add (only when absent).
 */
public record Transforms(Ops remove, Ops rename, Ops replace, Ops add) {

  /** One operation on headers and query parameters (response-transformer has headers only). */
  public record Ops(@JsonProperty("headers") Object headers, @JsonProperty("querystring") Object querystring) {

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
