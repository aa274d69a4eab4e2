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
  private boolean bodyless;
  private io.vertx.core.buffer.Buffer body;

  public Refusal(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public Refusal header(String name, String value) {
    headers.add(name, value);
    return this;
  }

  /**
   * An answer the gateway gives in the policy's name without a body and without going upstream (a CORS
   * preflight): not an error, though it ends the request like one.
   */
  public static Refusal answer(int status) {
    Refusal r = new Refusal(status, "answered", "answered by the gateway");
    r.bodyless = true;
    return r;
  }

  /** An answer with a body, given by the gateway in the policy's name (a cached response). */
  public static Refusal answer(int status, io.vertx.core.buffer.Buffer body) {
    Refusal r = new Refusal(status, "answered", "answered by the gateway");
    r.body = body;
    return r;
  }

  public boolean bodyless() { return bodyless; }

  /** The body of an answer (not an error), or null. */
  public io.vertx.core.buffer.Buffer body() { return body; }

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
