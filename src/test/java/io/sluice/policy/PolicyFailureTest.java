package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** A policy that fails (rather than refuses) is named by the chain; its cause is kept for the log only. */
class PolicyFailureTest {

  private static Throwable failureOf(Supplier<Future<Verdict>> second) {
    Policy ok = call -> Policy.CONTINUE;
    PolicyChain chain = new PolicyChain(List.of(
        new PolicyChain.Slot("key-auth", 2, ok, Map.of()),
        new PolicyChain.Slot("rate-limiting", 1, call -> second.get(), Map.of())), "acme");
    return chain.run(new PolicyCall(null, "r1", "/api", "api") {}).cause();
  }

  @Test
  void a_policy_that_throws_or_fails_is_named_with_its_cause_kept() {
    NullPointerException npe = new NullPointerException("Cannot invoke \"String.hashCode()\"");
    for (Supplier<Future<Verdict>> failing : List.<Supplier<Future<Verdict>>>of(
        () -> { throw npe; }, () -> Future.failedFuture(npe))) {
      PolicyFailure f = assertInstanceOf(PolicyFailure.class, failureOf(failing));
      assertEquals("rate-limiting", f.policy());
      assertSame(npe, f.getCause());
    }
  }

  @Test
  void a_policy_that_fails_later_is_named_too() {
    Promise<Verdict> later = Promise.promise();
    Policy ok = call -> Policy.CONTINUE;
    PolicyChain chain = new PolicyChain(List.of(new PolicyChain.Slot("proxy-cache", 1, call -> later.future(),
        Map.of()), new PolicyChain.Slot("cors", 0, ok, Map.of())), "acme");
    Future<Verdict> run = chain.run(new PolicyCall(null, "r1", "/api", "api") {});
    IllegalStateException boom = new IllegalStateException("redis said something internal");
    later.fail(boom);
    PolicyFailure f = assertInstanceOf(PolicyFailure.class, run.cause());
    assertEquals("proxy-cache", f.policy());
    assertSame(boom, f.getCause());
  }

  @Test
  void a_refusal_is_passed_on_as_it_is() {
    Refusal no = Refusal.forbidden("no");
    assertSame(no, failureOf(() -> Future.failedFuture(no)));
  }
}
