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
 * Cluster-wide fixed windows in Redis: one EVALSHA of {@code lua/rate-limit.lua} per request, atomic for
 * every window of the identity. The script is never loaded ahead: its SHA-1 is computed here, and a NOSCRIPT
 * answer (Redis restarted or SCRIPT FLUSH) is followed by one EVAL, which also caches it again.
 */
final class RedisLimiter {

  static final String SCRIPT = load();
  static final String SHA = sha1(SCRIPT);

  private final Supplier<RedisAPI> redis;
  private final Windows windows;

  RedisLimiter(Supplier<RedisAPI> redis, Windows windows) {
    this.redis = redis;
    this.windows = windows;
  }

  /** {@code tag} is the identity's hash tag content: every window key of it lands in one cluster slot. */
  Future<Decision> check(String tag) {
    List<String> args = new ArrayList<>(2 + 3 * windows.size());
    args.add(SHA);
    args.add(Integer.toString(windows.size()));
    for (int i = 0; i < windows.size(); i++) {
      args.add("sluice:rl:{" + tag + "}:" + windows.suffixes()[i]);
    }
    for (int i = 0; i < windows.size(); i++) {
      args.add(Long.toString(windows.periods()[i]));
      args.add(Long.toString(windows.limits()[i]));
    }
    RedisAPI api = redis.get();
    return api.evalsha(args).recover(err -> {
      if (String.valueOf(err.getMessage()).startsWith("NOSCRIPT")) {
        List<String> eval = new ArrayList<>(args);
        eval.set(0, SCRIPT);
        return api.eval(eval);
      }
      return Future.failedFuture(err);
    }).map(RedisLimiter::decision);
  }

  private static Decision decision(Response r) {
    return new Decision(r.get(0).toLong() == 1, r.get(3).toLong(), r.get(1).toLong(), r.get(2).toLong(),
        r.get(4).toLong());
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
