package io.sluice.policy;

/**
 * A policy's request phase failed with something other than a {@link Refusal} (a bug, a store's unexpected
 * error): the name of the policy, and the cause for the log. The client is told only which policy failed, never
 * the cause's message, which may be internal (a NullPointerException's) or carry a secret.
 */
public final class PolicyFailure extends RuntimeException {

  private final String policy;

  PolicyFailure(String policy, Throwable cause) {
    super("policy " + policy + " failed", cause, false, false);
    this.policy = policy;
  }

  /** The policy's name on the route (rate-limiting, key-auth, ...). */
  public String policy() {
    return policy;
  }

  /** {@code cause} as the chain reports it: a refusal as it is, anything else with the policy named. */
  static Throwable of(String policy, Throwable cause) {
    return cause instanceof Refusal || cause instanceof PolicyFailure ? cause : new PolicyFailure(policy, cause);
  }
}
