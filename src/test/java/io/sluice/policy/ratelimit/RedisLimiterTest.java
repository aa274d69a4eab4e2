package io.sluice.policy.ratelimit;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

/** The Redis side of the limiter reports every failure in its future, where the policy's fallback sees it. */
class RedisLimiterTest {

  @Test
  void a_redis_client_that_cannot_be_made_fails_the_future_instead_of_throwing() {
    IllegalStateException cannot = new IllegalStateException("no client");
    RedisLimiter limiter = new RedisLimiter(() -> {
      throw cannot;
    }, new Windows(new long[] {60}, new long[] {10}, new String[] {"m"}));
    Future<RedisLimiter.Grant> taken = limiter.take("acme", 4, null);
    assertTrue(taken.failed());
    assertSame(cannot, taken.cause());
  }
}
