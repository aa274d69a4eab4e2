package io.sluice.proxy;

import io.vertx.core.http.HttpHeaders;

/**
 * Names of the headers the proxy reads or sets on every request, pre-encoded: a lookup with one of these
 * hashes a cached value instead of hashing a String again each time.
 */
final class HeaderNames {

  static final CharSequence X_REQUEST_ID = HttpHeaders.createOptimized("X-Request-Id");
  static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
  static final CharSequence X_FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
  static final CharSequence X_FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");
  static final CharSequence VIA = HttpHeaders.createOptimized("Via");
  static final CharSequence X_REAL_IP = HttpHeaders.createOptimized("X-Real-IP");
  static final CharSequence FORWARDED = HttpHeaders.createOptimized("Forwarded");

  private HeaderNames() {}
}
