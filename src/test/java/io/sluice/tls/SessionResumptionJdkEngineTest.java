package io.sluice.tls;

/** The resumption test again with {@code tls.engine: jdk}: the JDK's TLS engine and its own session caches. */
class SessionResumptionJdkEngineTest extends SessionResumptionTest {

  @Override
  String engine() {
    return "jdk";
  }
}
