package io.sluice.proxy;

/** The upstream TLS tests again with {@code tls.engine: jdk}: the JDK's TLS engine towards targets. */
class UpstreamTlsJdkEngineTest extends UpstreamTlsTest {

  @Override
  String engine() {
    return "jdk";
  }
}
