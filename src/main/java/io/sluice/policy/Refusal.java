package io.sluice.policy;

import io.vertx.core.MultiMap;

/**
 * A policy's refusal of a request: the status, the stable error code and message of the JSON error body, and
 * headers the answer carries (WWW-Authenticate, Retry-After, ...). No stack trace: it is an answer, not a bug.
 */
public final class Refusal extends RuntimeException {

  private final int status;
  private final String code;
  private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();

  public Refusal(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public Refusal header(String name, String value) {
    headers.add(name, value);
    return this;
  }

  public int status() { return status; }

  public String code() { return code; }

  public MultiMap headers() { return headers; }

  public static Refusal unauthorized(String message, String challenge) {
    return new Refusal(401, "unauthorized", message).header("WWW-Authenticate", challenge);
  }

  public static Refusal forbidden(String message) {
    return new Refusal(403, "forbidden", message);
  }

  /** A store the policy depends on could not answer: never a 401 for what may be a valid credential. */
  public static Refusal unavailable(String message) {
    return new Refusal(503, "policy_unavailable", message);
  }
}
