package io.sluice.testing;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Runs a test's HTTP client calls on one Vert.x context and waits for them from the test thread.
 *
 * <p>Why: Vert.x 5.0.8's HttpClient, called straight from a non-Vert.x thread (the JUnit thread), gives
 * each call a new context on a round-robin event loop while the pooled keep-alive connections live on
 * others; now and then a response that did arrive (the socket shows every byte read) never completes its
 * future, and the test waits forever. Seen as BalancingTest, ForwardingHeadersTest and ResilienceTest
 * hanging with the proxy idle; reproduced without Sluice in the path (requests straight to a Vert.x
 * backend) within a few hundred requests, and never in 48,000 requests issued from one context.
 */
public final class OnContext {

  private final Context context;

  /** Call from the test thread once per test (each call to getOrCreateContext there makes a new context). */
  public OnContext(Vertx vertx) {
    this.context = vertx.getOrCreateContext();
  }

  /** Starts {@code call} on the context; the future completes on it. */
  public <T> Future<T> run(Supplier<Future<T>> call) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(promise));
    return promise.future();
  }

  /** Runs {@code call} on the context and waits for its result. */
  public <T> T await(Supplier<Future<T>> call) {
    return run(call).await();
  }
}
