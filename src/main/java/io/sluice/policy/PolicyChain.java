package io.sluice.policy;

import io.sluice.config.Tenants;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Map;

/**
 * The policies of one route, bound once when the route table is built and run in priority order (highest
 * first). Each slot is one policy name: the instance of the most specific scope (route, then service, then
 * global), and instances scoped to consumers, chosen once the consumer is known (a hash lookup, only for
 * slots that have consumer-scoped instances).
 */
public final class PolicyChain {

  /** One policy name on this route. */
  public record Slot(String name, int priority, Policy common, Map<String, Policy> byConsumer) {

    Policy pick(PolicyCall call) {
      if (!byConsumer.isEmpty() && call.consumer() != null) {
        Policy p = byConsumer.get(call.consumer().id());
        if (p != null) {
          return p;
        }
      }
      return common;
    }
  }

  private final Slot[] slots;
  private final String tenant;

  /** {@code tenant}: the name of the tenant owning the route (the one whose consumers may authenticate). */
  public PolicyChain(List<Slot> slots, String tenant) {
    this.slots = slots.toArray(new Slot[0]);
    this.tenant = Tenants.of(tenant);
  }

  /**
   * Whether {@code other} runs the very same policy instances in the same slots for the same tenant (then a
   * route keeps its chain across builds; instances are compared by identity).
   */
  public boolean sameAs(PolicyChain other) {
    return other != null && tenant.equals(other.tenant) && java.util.Arrays.equals(slots, other.slots);
  }

  /** The tenant owning the route. */
  public String tenant() {
    return tenant;
  }

  public Slot slot(int i) {
    return slots[i];
  }

  public List<String> names() {
    return java.util.Arrays.stream(slots).map(Slot::name).toList();
  }

  /**
   * Runs the request phase: the future holds {@link Verdict#CONTINUE}, or the first verdict that answers,
   * or fails with the first refusal ({@link Refusal}, else a {@link PolicyFailure} naming the policy). Every policy of the chain takes part in the response phase, those after
   * the one that answered or refused too: the gateway's answer is as much an answer as the upstream's
   * (response-transformer edits a 401 as well). Synchronous policies are run in a loop without allocating a
   * continuation; an asynchronous one resumes the loop from its callback (on the same event loop: the
   * stores' clients complete on the caller's context).
   */
  public Future<Verdict> run(PolicyCall call) {
    call.tenant(tenant);
    return runFrom(call, 0, null);
  }

  private Future<Verdict> runFrom(PolicyCall call, int from, Promise<Verdict> promise) {
    for (int i = from; i < slots.length; i++) {
      Policy p = slots[i].pick(call);
      if (p == null) {
        continue;
      }
      Future<Verdict> f;
      try {
        f = p.onRequest(call);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      call.responds(p);
      if (f.isComplete()) {
        if (f.failed()) {
          respondFrom(call, i + 1);
          return settle(promise, Future.failedFuture(PolicyFailure.of(slots[i].name(), f.cause())));
        }
        if (f.result().answers()) {
          respondFrom(call, i + 1);
          return settle(promise, f);
        }
        continue;
      }
      Promise<Verdict> pr = promise != null ? promise : Promise.promise();
      int next = i + 1;
      String name = slots[i].name();
      f.onComplete(ar -> {
        if (ar.failed()) {
          respondFrom(call, next);
          pr.tryFail(PolicyFailure.of(name, ar.cause()));
        } else if (ar.result().answers()) {
          respondFrom(call, next);
          pr.tryComplete(ar.result());
        } else {
          runFrom(call, next, pr);
        }
      });
      return pr.future();
    }
    return settle(promise, Policy.CONTINUE);
  }

  /** The policies from slot {@code from} on take part in the response phase of an answer given before them. */
  private void respondFrom(PolicyCall call, int from) {
    for (int i = from; i < slots.length; i++) {
      Policy p = slots[i].pick(call);
      if (p != null) {
        call.responds(p);
      }
    }
  }

  /** The chain's outcome is {@code f}'s: handed back as it is, or through the promise of a resumed loop. */
  private static Future<Verdict> settle(Promise<Verdict> promise, Future<Verdict> f) {
    if (promise == null) {
      return f;
    }
    if (f.failed()) {
      promise.tryFail(f.cause());
    } else {
      promise.tryComplete(f.result());
    }
    return promise.future();
  }
}
