package io.sluice.policy.ratelimit;

import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * Cluster-wide fixed windows in Redis: one EVALSHA of {@code lua/rate-limit.lua}, atomic for every window of
 * the identity, takes a lease of tokens (see {@link Grant}). The script is never loaded ahead: its SHA-1 is
 * computed here, and a NOSCRIPT answer (Redis restarted, SCRIPT FLUSH) is followed by one EVAL, which also
 * caches it again.
 */
final class RedisLimiter {

  static final String SCRIPT = load();
  static final String SHA = sha1(SCRIPT);

  /**
   * What Redis granted: whether the request is admitted, the tokens taken (the request's own and the rest of
   * the lease), what is left in Redis after them, when the lease ends (the earliest window's end, in ms from
   * the script's run), the tightest window's limit and reset, and Retry-After for a refusal.
   */
  record Grant(boolean allowed, long lease, long remaining, long expiresMs, long limit, long retryAfterS,
               long resetS) {}

  private final Supplier<RedisAPI> redis;
  private final Windows windows;

  RedisLimiter(Supplier<RedisAPI> redis, Windows windows) {
    this.redis = redis;
    this.windows = windows;
  }

  /**
   * {@code tag} is the identity's hash tag content (every window key of it lands in one cluster slot);
   * {@code divisor}: the lease is at most 1/divisor of what is left (and at least the request's own token);
   * {@code owed}: per window, requests the local fallback admitted that Redis has not counted (null: none).
   */
  Future<Grant> take(String tag, long divisor, long[] owed) {
    List<String> args = new ArrayList<>(3 + 4 * windows.size());
    args.add(SHA);
    args.add(Integer.toString(windows.size()));
    for (int i = 0; i < windows.size(); i++) {
      args.add("sluice:rl:{" + tag + "}:" + windows.suffixes()[i]);
    }
    args.add(Long.toString(divisor));
    for (int i = 0; i < windows.size(); i++) {
      args.add(Long.toString(windows.periods()[i]));
      args.add(Long.toString(windows.limits()[i]));
      args.add(owed == null ? "0" : Long.toString(owed[i]));
    }
    RedisAPI api;
    try {
      api = redis.get();
    } catch (RuntimeException e) {
      // A client that cannot be made is Redis unreachable: a failed future, so the caller's fallback decides.
      return Future.failedFuture(e);
    }
    return api.evalsha(args).recover(err -> {
      if (String.valueOf(err.getMessage()).startsWith("NOSCRIPT")) {
        List<String> eval = new ArrayList<>(args);
        eval.set(0, SCRIPT);
        return api.eval(eval);
      }
      return Future.failedFuture(err);
    }).map(RedisLimiter::grant);
  }

  private static Grant grant(Response r) {
    return new Grant(r.get(0).toLong() == 1, r.get(1).toLong(), r.get(2).toLong(), r.get(3).toLong(),
        r.get(4).toLong(), r.get(5).toLong(), r.get(6).toLong());
  }

  private static String load() {
    try (InputStream in = RedisLimiter.class.getResourceAsStream("/lua/rate-limit.lua")) {
      if (in == null) {
        throw new IllegalStateException("lua/rate-limit.lua is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
