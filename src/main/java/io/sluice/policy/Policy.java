package io.sluice.policy;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/**
 * One configured policy instance (a plugin row) at runtime. The request phase runs in priority order before
 * the request goes upstream; the response phase in the opposite order, on the answer's head, for every
 * policy whose request phase ran. Instances are shared by every event loop of the node: thread-safe.
 */
public interface Policy {

  /** The future completed when the phase is done without a refusal; {@link #CONTINUE} for synchronous ones. */
  Future<Void> CONTINUE = Future.succeededFuture();

  /**
   * The request phase: a succeeded future lets the request go on, a future failed with a {@link Refusal}
   * answers it (any other failure answers 500). Runs on the request's event loop; never blocks.
   */
  Future<Void> onRequest(PolicyCall call);

  /** The response phase, on the head about to go to the client (upstream answer or gateway error). */
  default void onResponse(PolicyCall call, int status, MultiMap headers) {}
}
