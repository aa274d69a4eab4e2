package io.sluice.tls;

/** The certificate tests again with {@code tls.engine: jdk}: the JDK's TLS engine, the fallback to BoringSSL. */
class TlsCertificatesJdkEngineTest extends TlsCertificatesTest {

  @Override
  String engine() {
    return "jdk";
  }
}
