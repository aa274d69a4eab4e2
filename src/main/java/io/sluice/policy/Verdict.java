package io.sluice.policy;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * What a policy's request phase decided: go on ({@link #CONTINUE}), or answer the request in the policy's
 * name without going upstream (a CORS preflight, a cached response). An answer is not an error: it runs the
 * response phase and is recorded with its status like any answer. Refusals (401, 403, 429...) are not
 * verdicts: they fail the phase's future with a {@link Refusal}.
 */
public final class Verdict {

  /** The request goes on to the next policy, then upstream. */
  public static final Verdict CONTINUE = new Verdict(0, null);

  private final int status;
  private final Buffer body;
  private final MultiMap headers;
  private String reason;

  private Verdict(int status, Buffer body) {
    this.status = status;
    this.body = body;
    this.headers = status == 0 ? null : MultiMap.caseInsensitiveMultiMap();
  }

  /** An answer without a body (a preflight's 204). */
  public static Verdict answer(int status) {
    return new Verdict(status, null);
  }

  /** An answer with a body (a cached response). */
  public static Verdict answer(int status, Buffer body) {
    return new Verdict(status, body);
  }

  /** Adds a header to the answer. */
  public Verdict header(String name, String value) {
    headers.add(name, value);
    return this;
  }

  /** Gives the answer a reason phrase of its own (a cached answer's), instead of the status's standard one. */
  public Verdict reason(String reason) {
    this.reason = reason;
    return this;
  }

  /** The answer's reason phrase, or null for the status's standard one. */
  public String reason() {
    return reason;
  }

  /** Whether the policy answered (false: {@link #CONTINUE}). */
  public boolean answers() {
    return status != 0;
  }

  public int status() {
    return status;
  }

  /** The answer's body, or null for none. */
  public Buffer body() {
    return body;
  }

  /** The answer's headers (null for {@link #CONTINUE}). */
  public MultiMap headers() {
    return headers;
  }
}
