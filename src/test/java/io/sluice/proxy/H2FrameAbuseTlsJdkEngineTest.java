package io.sluice.proxy;

/**
 * {@link H2FrameAbuseTlsTest} with the JDK's TLS engine (its handshake work on Vert.x's worker pool): what must hold
 * from an h2 connection's first frame is set once the handshake is done, whichever engine did it.
 */
class H2FrameAbuseTlsJdkEngineTest extends H2FrameAbuseTlsTest {

  @Override
  String engine() {
    return "jdk";
  }
}
