package io.sluice.policy.ratelimit;

/**
 * A limiter's answer for one request: admitted or not, and what the RateLimit-* headers say (the tightest
 * window's limit, remaining count and seconds to its reset), plus Retry-After for a refusal.
 */
record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds) {}
