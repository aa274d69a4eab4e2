package io.sluice.policy;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/**
 * One configured policy instance (a plugin row) at runtime. The request phase runs in priority order before
 * the request goes upstream; the response phase in the opposite order, on the answer's head, for every
 * policy of the route's chain: also, when a policy answered or refused, for those after it, whose request
 * phase did not run (so it must not count on it). Instances are shared by every event loop of the node:
 * thread-safe.
 */
public interface Policy {

  /** The phase is done and the request goes on: what synchronous policies return (no allocation). */
  Future<Verdict> CONTINUE = Future.succeededFuture(Verdict.CONTINUE);

  /**
   * The request phase: a future of {@link Verdict#CONTINUE} lets the request go on, a verdict that answers
   * ends it with the policy's answer, a future failed with a {@link Refusal} refuses it (any other failure
   * answers 500). Runs on the request's event loop; never blocks.
   */
  Future<Verdict> onRequest(PolicyCall call);

  /** The response phase, on the head about to go to the client (upstream answer or gateway error). */
  default void onResponse(PolicyCall call, int status, MultiMap headers) {}
}
